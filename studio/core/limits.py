"""The one documented place for the sizes and ranges Bridgecast accepts from outside.

Every number here is enforced before any work starts (nothing is saved, rendered or journaled
past it), and each carries the reason it is what it is.  The README's "Inputs and limits"
table lists what a user is told when an input is refused.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

# -- the live show's free text -------------------------------------------------------------------
# A giveaway keyword is matched against every comment while the show's lock is held; one
# chat word or short phrase is all a viewer types (a 100,000-character one stalled the API).
MAX_KEYWORD_CHARS = 50
# A prize is one line on the giveaway card.
MAX_PRIZE_CHARS = 200
# A platform's longest chat message (YouTube 200, TikTok 150, Facebook longer): the rest is spam.
MAX_COMMENT_CHARS = 500
# Display names are short on every platform; a long one would push the card's text off screen.
MAX_VIEWER_NAME_CHARS = 64
# A comment id from a platform is an opaque key (UUIDs, snowflakes); more is not an id.
MAX_COMMENT_ID_CHARS = 128
# An answer on screen is two lines of the answer card; a chat reply a few sentences.
MAX_ANSWER_CHARS = 300
# A quick-reply template fills to an answer, so it cannot usefully be longer than one.
MAX_QUICK_REPLY_CHARS = 300
# A template's title is a menu entry in the panel's quick-reply box.
MAX_QUICK_REPLY_TITLE_CHARS = 40
# The assistant picks from a menu; more than a screenful of templates is not a menu.
MAX_QUICK_REPLIES = 50
# A large show's exclusion list (earlier winners, staff); each is checked per entry.
MAX_EXCLUDED_USERS = 5000

# -- the live show's numbers ---------------------------------------------------------------------
# The largest price or coupon amount: a billion covers any retail price in any currency
# (Indonesian rupiah and Vietnamese dong included); more is a typing slip, not a price.
MAX_AMOUNT = Decimal("1000000000")
# Decimals an amount may carry: three-decimal currencies (KWD, BHD, OMR) plus one.
MAX_AMOUNT_DECIMALS = 4
# Units of one coupon or flash sale, and per viewer: a million is beyond any live show's orders.
MAX_UNITS = 1_000_000
# A coupon's start or end as Unix seconds: from 2001 to 2100 (a date outside is a slip, or
# milliseconds sent as seconds).
MIN_TIMESTAMP_S = 1_000_000_000
MAX_TIMESTAMP_S = 4_102_444_800

# -- the product catalog -------------------------------------------------------------------------
# A live show sells tens to hundreds of products; a large shop's whole export is a few thousand.
MAX_CATALOG_ROWS = 10_000
# Ten thousand rows of a few hundred bytes each, with room to spare; more is not a catalog.
MAX_CATALOG_BYTES = 20_000_000
# SKUs are short codes (Shopee 100, Lazada 200 characters at most); 100 keeps file names sane.
MAX_SKU_CHARS = 100
# A product title is at most two lines of the product card (platforms cap titles at 120–255).
MAX_PRODUCT_TITLE_CHARS = 255
# One selling point is one line of the card; a card has room for a handful of them.
MAX_SELLING_POINT_CHARS = 200
MAX_SELLING_POINTS = 10
# An image path or a product link: the longest URLs browsers and platforms accept.
MAX_LINK_CHARS = 2048

# -- files ---------------------------------------------------------------------------------------
# settings.json is a few kilobytes; a megabyte is a file that is not settings (it is kept aside).
MAX_SETTINGS_BYTES = 1_000_000

# -- servers -------------------------------------------------------------------------------------
# A WHIP server's Retry-After past an hour is read as an hour: a live show is not parked for a year.
MAX_RETRY_AFTER_S = 3600

# -- covers --------------------------------------------------------------------------------------
# A cover's text layer is a headline, a badge or a caption of a few sentences: 500 characters
# fill 20 lines of the smallest legible size.  Laying out text grows with its length (a
# million-character layer took over 60 s to render and lint), so longer text is refused in words.
MAX_COVER_TEXT_CHARS = 500
# The most a QR code holds: version 40 at the cover's error-correction level M, in bytes of UTF-8.
MAX_QR_PAYLOAD_BYTES = 2331
# A cover document is a few kilobytes of layer data (images are referenced by path).
MAX_COVER_DOCUMENT_BYTES = 2_000_000
# Nesting of a cover document: its deepest real path (document → layers → layer → frame_by_aspect →
# frame) is five levels; past this it is not a cover (and deep nesting exhausts the parser's stack).
MAX_JSON_DEPTH = 32
# A scene collection is sources, scenes and their layers: a large show is tens of kilobytes.
MAX_SCENE_COLLECTION_BYTES = 5_000_000
# Pixels of a cover photo or an image source, checked from the file's header before decoding: 40 MP
# (about 7700×5200) is beyond any camera's photo; a decompression bomb claims billions.
MAX_IMAGE_PIXELS = 40_000_000


def nested_deeper_than(value: Any, depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests lists/objects more than ``depth`` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > depth:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
