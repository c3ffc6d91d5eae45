"""The tracks' shared doorbell: the layers of one capture time wake the network loop once.

Everything runs on one asyncio loop (puts made on the loop thread between awaits), so which
receivers a ring has woken is exact, not a matter of timing.
"""
from __future__ import annotations

import asyncio
import threading
import time

import av

from studio.outputs.aiortc_adapter import tracks
from studio.outputs.aiortc_adapter.tracks import EncodedAudioTrack, EncodedVideoTrack, doorbell_for
from studio.outputs.packets import PacketItem

SIZES = {"h": (1920, 1080), "m": (960, 540), "l": (480, 270)}


def run(coro, timeout=10.0):
    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def frame(rid: str, capture_ns: int, keyframe: bool = True) -> PacketItem:
    width, height = SIZES[rid]
    data = b"\x00\x00\x00\x01" + bytes([0x65 if keyframe else 0x41]) + bytes(50)
    return PacketItem(av.Packet(data), capture_ns, is_keyframe=keyframe, width=width, height=height)


def sound(capture_ns: int) -> PacketItem:
    return PacketItem(av.Packet(b"\x01" * 40), capture_ns, audio_level=30)


class Receivers:
    """One waiting ``recv_item`` task per track; ``got`` says who has been handed what."""

    def __init__(self, named_tracks: dict[str, tracks.PacketTrack]) -> None:
        self.tracks = named_tracks
        self.got: dict[str, list[int]] = {name: [] for name in named_tracks}
        self._tasks = [asyncio.get_running_loop().create_task(self._receive(name)) for name in named_tracks]

    async def _receive(self, name: str) -> None:
        track = self.tracks[name]
        while True:
            self.got[name].append((await track.recv_item()).capture_ns)

    async def settle(self) -> dict[str, list[int]]:
        for _ in range(5):  # the ring's callback, then the woken receivers
            await asyncio.sleep(0)
        return {name: list(values) for name, values in self.got.items()}

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for track in self.tracks.values():
            track.stop()


def open_layers(*rids: str) -> dict[str, EncodedVideoTrack]:
    layers = {rid: EncodedVideoTrack(rid=rid) for rid in rids}
    for track in layers.values():
        track.open()
    return layers


def test_lower_layers_wait_for_the_top_layer_of_their_capture_time_and_share_its_ring():
    async def scenario():
        layers = open_layers("h", "m", "l")
        bell = doorbell_for(asyncio.get_running_loop())
        receivers = Receivers(layers)
        await receivers.settle()
        for rid in ("l", "m", "h"):  # the first capture time: nothing to judge by, each goes at once
            layers[rid].put(frame(rid, 1))
        assert await receivers.settle() == {"h": [1], "m": [1], "l": [1]}
        rings = bell.rings
        layers["l"].put(frame("l", 2, keyframe=False))
        layers["m"].put(frame("m", 2, keyframe=False))
        assert await receivers.settle() == {"h": [1], "m": [1], "l": [1]}  # held for h
        assert bell.rings == rings
        layers["h"].put(frame("h", 2, keyframe=False))
        assert await receivers.settle() == {"h": [1, 2], "m": [1, 2], "l": [1, 2]}
        assert bell.rings == rings + 1  # three layers, one loop wake-up
        receivers.close()

    run(scenario())


def test_a_missing_top_layer_holds_the_others_only_until_the_next_capture_time():
    async def scenario():
        layers = open_layers("h", "m", "l")
        receivers = Receivers(layers)
        await receivers.settle()
        for rid in ("l", "m", "h"):
            layers[rid].put(frame(rid, 1))
        await receivers.settle()
        layers["l"].put(frame("l", 2, keyframe=False))  # h of time 2 never comes (paused)
        layers["m"].put(frame("m", 2, keyframe=False))
        assert (await receivers.settle())["m"] == [1]
        layers["l"].put(frame("l", 3, keyframe=False))  # the next capture time releases time 2
        got = await receivers.settle()
        assert got["m"] == [1, 2] and got["l"][:2] == [1, 2]
        layers["m"].put(frame("m", 3, keyframe=False))  # m is now the largest: it closes time 3
        got = await receivers.settle()
        assert got == {"h": [1], "m": [1, 2, 3], "l": [1, 2, 3]}
        receivers.close()

    run(scenario())


def test_a_late_top_layer_goes_at_once_and_sound_never_waits(monkeypatch):
    async def scenario():
        layers = open_layers("h", "l")
        audio = EncodedAudioTrack()
        audio.open()
        receivers = Receivers({**layers, "a": audio})
        await receivers.settle()
        layers["l"].put(frame("l", 1))
        layers["h"].put(frame("h", 1))
        await receivers.settle()
        layers["l"].put(frame("l", 2, keyframe=False))
        audio.put(sound(10))
        got = await receivers.settle()
        assert got["a"] == [10] and got["l"] == [1]  # the sound went, the layer still waits for h
        monkeypatch.setattr(tracks, "GROUP_HOLD_LIMIT_NS", 0)
        audio.put(sound(11))  # held past the limit: the next hand-off of any track releases it
        got = await receivers.settle()
        assert got["a"] == [10, 11] and got["l"] == [1, 2]
        layers["h"].put(frame("h", 2, keyframe=False))
        assert (await receivers.settle())["h"] == [1, 2]
        receivers.close()

    run(scenario())


def test_layers_put_from_their_own_threads_all_arrive():
    async def scenario():
        layers = open_layers("h", "m", "l")
        receivers = Receivers(layers)
        await receivers.settle()

        def encode(rid: str) -> None:
            for capture_ns in range(1, 31):
                layers[rid].put(frame(rid, capture_ns, keyframe=capture_ns == 1))
                time.sleep(0.002)

        threads = [threading.Thread(target=encode, args=(rid,)) for rid in layers]
        for thread in threads:
            thread.start()
        loop = asyncio.get_running_loop()
        for thread in threads:
            await loop.run_in_executor(None, thread.join)
        for _ in range(200):
            await asyncio.sleep(0.005)
            if all(len(values) == 30 for values in receivers.got.values()):
                break
        assert receivers.got == {rid: list(range(1, 31)) for rid in layers}
        receivers.close()

    run(scenario())
