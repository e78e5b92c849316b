"""Forms every importer's pages share: the workbook's file field and the mapping step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import jobs
from .models import AbstractImportJob

XLSX_ACCEPT = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_field() -> forms.FileField:
    """The upload's file field (.xlsx); the file itself is checked by the job's creation."""
    return forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": XLSX_ACCEPT}),
    )


class MappingForm(forms.Form):
    """The mapping step: a field (or "ignore") for each column of the job's sheet. An
    importer's form adds its own choices (the ledger: what 序号 means, duplicates)."""

    def __init__(
        self, *args: Any, importer: jobs.Importer, job: AbstractImportJob, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [("", _("— ignore this column —"))] + [
            (f["key"], f["label"] + ("（" + _("required") + "）" if f["required"] else ""))
            for f in jobs.field_choices(importer, job)
        ]
        self.columns = jobs.job_columns(importer, job)
        for column in self.columns:
            name = f"col{column['index']}"
            self.fields[name] = forms.ChoiceField(
                label=column["header"],
                choices=choices,
                required=False,
                initial=column["field"] or "",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            column["name"] = name

    def rows(self) -> list[dict[str, Any]]:
        """Each column with its bound select, for the template."""
        return [{**column, "select": self[column["name"]]} for column in self.columns]

    def mapping(self) -> dict[str, str | None]:
        """Header text -> chosen field (None: ignore)."""
        return {
            column["header"]: self.cleaned_data.get(column["name"]) or None
            for column in self.columns
        }
