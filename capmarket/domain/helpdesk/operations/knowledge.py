"""The knowledge base: FAQ entries and talk scripts, versioned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from capmarket.domain.accounts.permissions import Action, can
from capmarket.domain.audit import operations as audit
from capmarket.domain.audit.models import AuditAction
from capmarket.domain.helpdesk import text
from capmarket.domain.helpdesk.models import (
    ArticleKind,
    Category,
    KnowledgeArticle,
    KnowledgeVersion,
)
from capmarket.domain.helpdesk.operations.common import (
    MAX_BODY,
    UnableToSaveArticle,
    _clean_text,
)


def _search_text(title: str, body: str, keywords: str) -> str:
    return text.normalise(text=f"{title}\n{keywords}\n{body}")


def save_article(
    *,
    actor: Any,
    article: KnowledgeArticle | None,
    kind: str,
    category: str,
    title: str,
    body: str,
    keywords: str,
    published: bool,
    change_note: str,
    now: dt.datetime,
    ip_address: str | None = None,
) -> tuple[KnowledgeArticle, bool]:
    """Create an FAQ entry / talk script, or save a new version of one. Returns (article, new version made); an
    unchanged form makes no version."""
    if not (getattr(actor, "is_operator_staff", False) and can(user=actor, action=Action.MANAGE_KNOWLEDGE)):
        raise UnableToSaveArticle("FAQ・トークスクリプトを編集する権限がありません。")
    if kind not in ArticleKind.values:
        raise UnableToSaveArticle({"kind": "種類を選択してください。"})
    if category not in Category.values:
        raise UnableToSaveArticle({"category": "分類を選択してください。"})
    title = _clean_text(title, field="title", label="題名（質問）", limit=300, error=UnableToSaveArticle)
    body = _clean_text(body, field="body", label="本文（回答）", limit=MAX_BODY, error=UnableToSaveArticle)
    keywords = " ".join(keywords.split())[:500]
    with transaction.atomic():
        if article is None:
            article = KnowledgeArticle.objects.create(
                kind=kind, category=category, title=title, body=body, keywords=keywords, published=published,
                version=1, search_text=_search_text(title, body, keywords), created_at=now, updated_at=now,
                updated_by=actor,
            )  # fmt: skip
            action = AuditAction.CREATED
        else:
            article = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
            if article.kind != kind:
                raise UnableToSaveArticle({"kind": "種類は変更できません。"})
            same = (article.category, article.title, article.body, article.keywords, article.published) == (
                category, title, body, keywords, published,
            )  # fmt: skip
            if same:
                return article, False
            article.category, article.title, article.body = category, title, body
            article.keywords, article.published = keywords, published
            article.search_text = _search_text(title, body, keywords)
            article.version += 1
            article.updated_at, article.updated_by = now, actor
            article.save()
            action = AuditAction.UPDATED
        KnowledgeVersion.objects.create(
            article=article, version=article.version, category=category, title=title, body=body, keywords=keywords,
            published=published, change_note=change_note.strip()[:300], changed_by=actor, changed_at=now,
        )  # fmt: skip
        verb = "作成" if action == AuditAction.CREATED else "更新"
        audit.record(
            now=now,
            action=action,
            actor=actor,
            object_type=kind,
            object_id=article.pk,
            object_repr=title,
            summary=f"{ArticleKind(kind).label}の{verb}（第{article.version}版）",
            ip_address=ip_address,
        )
    return article, True
