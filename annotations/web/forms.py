"""Browser forms. Validation of the data itself lives in importing.py and services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from annotations.importing import MAX_TEXT
from annotations.models import Article, Claim, ClaimSource, Source, Tag

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ArticleForm(forms.Form):
    title = forms.CharField(
        max_length=Article.TITLE_MAX_LENGTH,
        required=False,
        help_text="Taken from the file name or the page's headline when left empty.",
    )
    url = forms.URLField(
        max_length=Article.URL_MAX_LENGTH,
        required=False,
        assume_scheme="https",
        label="URL",
        help_text="A link alone imports the page it points to. With pasted text or a file, the article's "
        "canonical URL: the same URL again with new text adds a revision.",
    )
    outlet = forms.CharField(max_length=Article.OUTLET_MAX_LENGTH, required=False)
    byline = forms.CharField(max_length=Article.BYLINE_MAX_LENGTH, required=False)
    published_at = forms.CharField(required=False, label="Published", help_text="ISO 8601, e.g. 2024-02-03")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}), required=False, max_length=MAX_TEXT, label="Paste the text"
    )
    file = forms.FileField(required=False, label="…or upload a .txt or .html file")

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith((".txt", ".html", ".htm")):
            raise forms.ValidationError("Upload a .txt or .html file.")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_text, has_file = bool(data.get("text", "").strip()), bool(data.get("file"))
        if has_text and has_file:
            raise forms.ValidationError("Paste the text or upload a file, not both.")
        if not (has_text or has_file or data.get("url") or self.has_error("url")):
            raise forms.ValidationError("Paste a link to the article, paste its text, or upload a file.")
        return data

    @property
    def from_url(self) -> bool:
        """A link alone: the page is fetched and imported in the background (tasks.queue_url_import)."""
        data = self.cleaned_data
        return bool(data.get("url")) and not data.get("text", "").strip() and not data.get("file")


class ClaimEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=Claim.NOTE_MAX_LENGTH
    )
    status = forms.ChoiceField(choices=Claim.Status.choices)
    verdict = forms.ChoiceField(choices=Claim.Verdict.choices, required=False)
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple, to_field_name="slug"
    )


class SourceAttachForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    source = forms.ModelChoiceField(queryset=Source.objects.all(), required=False, widget=forms.HiddenInput)
    url = forms.URLField(
        max_length=Source.URL_MAX_LENGTH, required=False, assume_scheme="https", label="Source URL"
    )
    title = forms.CharField(max_length=Source.TITLE_MAX_LENGTH, required=False)
    relation = forms.ChoiceField(choices=ClaimSource.Relation.choices)
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=ClaimSource.QUOTE_MAX_LENGTH,
        label="Quoted passage",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("source") and not data.get("url"):
            raise forms.ValidationError("Pick an existing source or give the URL of a new one.")
        if not data.get("source") and not (data.get("title") or "").strip():
            self.add_error("title", "A new source needs a title.")
        return data


class SpanForm(forms.Form):
    """A selection made in the browser: code-point offsets and the text the reader saw."""

    start = forms.IntegerField()
    end = forms.IntegerField()
    exact = forms.CharField(strip=False, max_length=20_000)
    revision = forms.IntegerField(required=False)
    version = forms.IntegerField(required=False)
