from __future__ import annotations

from django import forms

# An upload larger than this is refused before it is read (a 100,000-row measurements sheet
# is about 3 MB as .xlsx, 4 MB as CSV).
IMPORT_MAX_BYTES = 50 * 1024 * 1024


class PlanUploadForm(forms.Form):
    """The plan file to preview."""

    file = forms.FileField(
        label="Plan file (.xlsx or .csv)",
        help_text="A workbook with the template's sheets, or one sheet as CSV (UTF-8, comma or "
        "semicolon). Nothing is written until you apply the preview.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        """Refuse a file that is not ``.xlsx`` or ``.csv`` (by its name) or is larger than
        ``IMPORT_MAX_BYTES`` (50 MB)."""
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError("Upload an .xlsx workbook or a .csv file.")
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB: split it."
            )
        return upload
