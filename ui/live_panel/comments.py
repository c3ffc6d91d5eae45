"""The Live panel's Comments tab: the chat, questions, hiding and blocking, answers and quick replies.

Each comment from a connected platform carries a badge with the platform's name; a reply (a
quick reply) to it is posted on that platform by the show's audience (``studio.live.audience``).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView, QPushButton, QVBoxLayout, QWidget

from studio.core.i18n import ngettext
from ui.live_panel.badges import PlatformBadgeDelegate
from ui.live_panel.controller import LivePanelController
from ui.live_panel.models import CommentFilter, CommentModel


class CommentsPage(QWidget):
    """A view of the controller's comment model; moderates and answers through the controller."""

    def __init__(self, controller: LivePanelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.live = controller.live
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.questions_only_box = QCheckBox(self)
        self.show_hidden_box = QCheckBox(self)
        for box in (self.questions_only_box, self.show_hidden_box):
            box.toggled.connect(lambda _on: self.comment_proxy.set_flags(self.questions_only_box.isChecked(), self.show_hidden_box.isChecked()))
            row.addWidget(box)
        row.addStretch(1)
        self.comment_count_label = QLabel(self)
        row.addWidget(self.comment_count_label)
        layout.addLayout(row)
        self.comment_model = controller.comment_model
        self.comment_proxy = CommentFilter(self)
        self.comment_proxy.setSourceModel(self.comment_model)
        controller.comments_changed.connect(self.comment_proxy.refilter)
        self.comment_view = QListView(self)
        self.comment_view.setObjectName("commentList")
        self.comment_view.setModel(self.comment_proxy)
        self.comment_view.setItemDelegate(PlatformBadgeDelegate(CommentModel.PlatformRole, self.comment_view))
        self.comment_view.setUniformItemSizes(True)
        self.comment_view.setWordWrap(False)
        layout.addWidget(self.comment_view, 1)
        actions = QHBoxLayout()
        self.question_button = QPushButton(self)
        self.question_button.clicked.connect(self.mark_question)
        self.hide_button = QPushButton(self)
        self.hide_button.clicked.connect(self.hide_comment)
        self.block_button = QPushButton(self)
        self.block_button.clicked.connect(self.block_author)
        for button in (self.question_button, self.hide_button, self.block_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        answer_row = QHBoxLayout()
        self.answer_edit = QLineEdit(self)
        self.answer_edit.returnPressed.connect(self.pin_answer)
        self.pin_answer_button = QPushButton(self)
        self.pin_answer_button.clicked.connect(self.pin_answer)
        self.unpin_answer_button = QPushButton(self)
        self.unpin_answer_button.clicked.connect(lambda: self.controller.run_command(self.live.comments.unpin_answer))
        answer_row.addWidget(self.answer_edit, 1)
        answer_row.addWidget(self.pin_answer_button)
        answer_row.addWidget(self.unpin_answer_button)
        layout.addLayout(answer_row)
        # Quick replies: saved templates ({name}, {product}, {price}, {sku}, {coupon}) sent by name.
        reply_row = QHBoxLayout()
        self.quick_reply_box = QComboBox(self)
        self.quick_reply_box.setObjectName("quickReplies")
        self.quick_reply_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.quick_reply_box.setMinimumContentsLength(12)
        self.reply_button = QPushButton(self)
        self.reply_button.clicked.connect(self.send_quick_reply)
        self.save_reply_button = QPushButton(self)
        self.save_reply_button.clicked.connect(self.save_quick_reply)
        self.delete_reply_button = QPushButton(self)
        self.delete_reply_button.clicked.connect(self.delete_quick_reply)
        reply_row.addWidget(self.quick_reply_box, 1)
        for button in (self.reply_button, self.save_reply_button, self.delete_reply_button):
            reply_row.addWidget(button)
        layout.addLayout(reply_row)
        controller.snapshot_changed.connect(self.present)
        self.retranslate()

    # -- commands ------------------------------------------------------------------------------------
    def selected_comment(self) -> dict[str, Any] | None:
        index = self.comment_view.currentIndex()
        return index.data(CommentModel.CommentRole) if index.isValid() else None

    def mark_question(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.controller.run_command(lambda: self.live.comments.update(comment["id"], is_question=not comment.get("is_question")))

    def hide_comment(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.controller.run_command(lambda: self.live.comments.update(comment["id"], is_hidden=not comment.get("is_hidden")))

    def block_author(self) -> None:
        comment = self.selected_comment()
        if comment is not None:
            self.controller.run_command(lambda: self.live.comments.block_user(comment["user"], not comment.get("is_hidden")))

    def pin_answer(self) -> None:
        comment = self.selected_comment()
        answer = self.answer_edit.text().strip()
        if comment is None or not answer:
            self.controller.report(self.tr("Choose a comment and type an answer first."))
            return
        self.controller.run_command(lambda: self.live.comments.pin_answer(comment["id"], answer), lambda _r: self.answer_edit.clear())

    def send_quick_reply(self) -> None:
        """Answer the selected comment by name with the chosen quick reply (sent as an event)."""
        comment = self.selected_comment()
        reply_id = self.quick_reply_box.currentData()
        if comment is None or not reply_id:
            self.controller.report(self.tr("Choose a comment and a quick reply first."))
            return
        self.controller.run_command(lambda: self.live.comments.reply(comment["id"], reply_id))

    def save_quick_reply(self) -> None:
        """Keep the text typed in the answer field as a quick reply template."""
        text = self.answer_edit.text().strip()
        if not text:
            self.controller.report(self.tr("Type the reply in the answer field first, e.g. “Thanks {name}!”."))
            return
        self.controller.run_command(lambda: self.live.quick_replies.save(text), lambda _r: self.answer_edit.clear())

    def delete_quick_reply(self) -> None:
        reply_id = self.quick_reply_box.currentData()
        if reply_id:
            self.controller.run_command(lambda: self.live.quick_replies.delete(reply_id))

    # -- presenting ----------------------------------------------------------------------------------
    def present(self, snapshot: dict[str, Any]) -> None:
        self._show_quick_replies(snapshot.get("quick_replies", []))
        questions = snapshot.get("question_count", 0)
        self.comment_count_label.setText(ngettext("{count} open question", "{count} open questions", questions).format(count=questions))

    def _show_quick_replies(self, replies: list[dict[str, Any]]) -> None:
        current = [(self.quick_reply_box.itemData(i), self.quick_reply_box.itemText(i)) for i in range(self.quick_reply_box.count())]
        if current == [(r["id"], r["title"]) for r in replies]:
            return
        selected = self.quick_reply_box.currentData()
        self.quick_reply_box.clear()
        for reply in replies:
            self.quick_reply_box.addItem(reply["title"], reply["id"])
            self.quick_reply_box.setItemData(self.quick_reply_box.count() - 1, reply["text"], Qt.ItemDataRole.ToolTipRole)
        index = self.quick_reply_box.findData(selected)
        self.quick_reply_box.setCurrentIndex(index if index >= 0 else max(0, self.quick_reply_box.count() - 1))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.questions_only_box.setText(self.tr("Open questions only"))
        self.show_hidden_box.setText(self.tr("Show hidden"))
        self.question_button.setText(self.tr("Question"))
        self.question_button.setToolTip(self.tr("Mark or unmark the selected comment as a question"))
        self.hide_button.setText(self.tr("Hide"))
        self.hide_button.setToolTip(self.tr("Hide or show the selected comment; on its platform too: Facebook hides "
                                            "it, YouTube and Twitch delete it (their chats cannot hide)"))
        self.block_button.setText(self.tr("Block user"))
        self.block_button.setToolTip(self.tr("Hide everything from this viewer; YouTube and Twitch also ban them for "
                                             "5 minutes, Facebook hides their comments"))
        self.answer_edit.setPlaceholderText(self.tr("Answer to show on screen"))
        self.pin_answer_button.setText(self.tr("Pin answer"))
        self.unpin_answer_button.setText(self.tr("Unpin answer"))
        self.quick_reply_box.setToolTip(self.tr("Quick replies: {name} is the viewer, {product}, {price}, {sku} the pinned product, {coupon} the coupon on screen"))
        self.quick_reply_box.setPlaceholderText(self.tr("No quick replies yet"))
        self.reply_button.setText(self.tr("Reply"))
        self.reply_button.setToolTip(self.tr("Send the chosen quick reply to the selected comment's author"))
        self.save_reply_button.setText(self.tr("Save as quick reply"))
        self.save_reply_button.setToolTip(self.tr("Keep the answer field's text as a quick reply template"))
        self.delete_reply_button.setText(self.tr("Delete reply"))
        if self.controller.snapshot:
            self.present(self.controller.snapshot)
