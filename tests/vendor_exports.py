"""Faithful miniatures of the big CRMs' own deal exports, and the same deals as a plain CSV.

One shared deal list (`DEALS`: 27 deals, 5 accounts, 3 owners, 10 quarters of won deals from
2023 Q1 to 2025 Q2, lost deals, 5 open deals of which 3 have no amount) is written

- as each vendor writes it (`write_salesforce_csv`, `write_salesforce_xlsx`, `write_hubspot`,
  `write_dynamics`, `write_pipedrive`, `write_zoho`: one function per format), and
- as a plain canonical `opportunities.csv` (`write_plain`: opportunity_id, account_id,
  account_name, amount, stage, close_date, owner),

so that the figures kamdash computes from a vendor file can be compared, quarter by quarter,
with those of the plain file and with the hand-computed ones here (`expected_*`).

Every writer returns an `Export`: the file, the deal IDs as the vendor wrote them, and the
spreadsheet rows that are not deals (Salesforce's subtotal, total and footer lines), which the
loader must skip with a warning naming them. Everything is deterministic: no randomness, no
clock; fixed IDs, dates and times.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

D = dt.date


@dataclass(frozen=True)
class Deal:
    n: int  # 1..27, the deal's number in DEALS
    account: str  # account name, as every CRM shows it
    title: str
    owner: str
    outcome: str  # "won" | "lost" | "open"
    amount: float | None  # the deal's (actual, for won deals) amount; None = not filled in
    close: dt.date  # actual close date (won / lost), expected close date (open)
    # The date and amount the rep planned, where a CRM keeps them apart from the actual ones
    # (Dynamics: Est. Close Date / Est. Revenue; Pipedrive: Expected close date). For a few won
    # deals they fall in another quarter or differ in amount: only the actual ones count.
    planned_close: dt.date | None = None
    planned_amount: float | None = None
    stage_step: int = 0  # how far an open deal is (0-4), for each vendor's stage labels

    @property
    def est_close(self) -> dt.date:
        return self.planned_close or self.close

    @property
    def est_amount(self) -> float | None:
        return self.planned_amount if self.planned_amount is not None else self.amount


ACCOUNT_IDS = {
    "Northwind Traders": "A-001",
    "Contoso Pharmaceuticals": "A-002",
    "Fabrikam Industries": "A-003",
    "Adventure Works Cycles": "A-004",
    "Tailspin Toys": "A-005",
}
NW, CO, FA, AW, TT = ACCOUNT_IDS
ANN, BOB, CARLA = "Ann Lee", "Bob Martin", "Carla Diaz"

DEALS: list[Deal] = [
    Deal(1, NW, "Northwind - Platform licence", ANN, "won", 42000, D(2023, 2, 14)),
    Deal(2, CO, "Contoso - Lab rollout", BOB, "won", 65000, D(2023, 3, 30), D(2023, 4, 14)),
    Deal(3, FA, "Fabrikam - Pilot", CARLA, "lost", 18000, D(2023, 5, 11)),
    Deal(4, NW, "Northwind - Support upgrade", ANN, "won", 15500, D(2023, 6, 29)),
    Deal(5, AW, "Adventure Works - Dealer portal", CARLA, "won", 27250.5, D(2023, 8, 17)),
    Deal(6, CO, "Contoso - EU expansion", BOB, "lost", 40000, D(2023, 9, 5)),
    Deal(7, FA, "Fabrikam - Plant 2", CARLA, "won", 31000, D(2023, 9, 28)),
    Deal(8, TT, "Tailspin - Starter", BOB, "won", 12800, D(2023, 11, 9)),
    Deal(9, NW, "Northwind - Renewal 2024", ANN, "won", 48000, D(2024, 1, 31)),
    Deal(10, AW, "Adventure Works - Analytics", CARLA, "lost", 9900, D(2024, 2, 20)),
    Deal(11, CO, "Contoso - Renewal 2024", BOB, "won", 71500, D(2024, 3, 28), None, 78650),
    Deal(12, TT, "Tailspin - Seats", ANN, "won", 14200, D(2024, 5, 15)),
    Deal(13, FA, "Fabrikam - Renewal 2024", CARLA, "won", 36400, D(2024, 6, 27)),
    Deal(14, NW, "Northwind - Data add-on", ANN, "lost", 22000, D(2024, 7, 18)),
    Deal(15, AW, "Adventure Works - Renewal 2024", CARLA, "won", 29900, D(2024, 8, 30)),
    Deal(16, CO, "Contoso - APAC", BOB, "won", 68000, D(2024, 9, 30), D(2024, 10, 15)),
    Deal(17, TT, "Tailspin - Renewal 2024", BOB, "won", 13100, D(2024, 11, 21)),
    Deal(18, FA, "Fabrikam - Plant 3", CARLA, "lost", 25000, D(2024, 12, 12)),
    Deal(19, NW, "Northwind - Renewal 2025", ANN, "won", 52500, D(2025, 1, 29)),
    Deal(
        20, AW, "Adventure Works - Renewal 2025", BOB, "won", 31250, D(2025, 3, 31), D(2025, 4, 10)
    ),
    Deal(21, CO, "Contoso - Renewal 2025", BOB, "won", 74000, D(2025, 4, 24), None, 81400),
    Deal(22, FA, "Fabrikam - Renewal 2025", CARLA, "won", 38800, D(2025, 6, 20)),
    Deal(23, NW, "Northwind - AI module", ANN, "open", 56000, D(2025, 8, 29), stage_step=3),
    Deal(24, CO, "Contoso - LATAM", BOB, "open", None, D(2025, 9, 30), stage_step=0),
    Deal(25, TT, "Tailspin - Enterprise tier", BOB, "open", None, D(2025, 10, 15), stage_step=1),
    Deal(26, AW, "Adventure Works - Fleet", BOB, "open", 33000, D(2025, 11, 28), stage_step=4),
    Deal(27, FA, "Fabrikam - Plant 4", CARLA, "open", None, D(2025, 12, 19), stage_step=2),
]


# -- what the figures must be (computed by hand from DEALS) ---------------------------------------
def expected_quarter_revenue() -> dict[str, float]:
    """Won revenue per calendar quarter, "2024Q3" -> amount (actual close date and amount)."""
    out: dict[str, float] = defaultdict(float)
    for d in DEALS:
        if d.outcome == "won":
            out[f"{d.close.year}Q{(d.close.month - 1) // 3 + 1}"] += d.amount
    return dict(sorted(out.items()))


def expected_account_owners() -> dict[str, str]:
    """Account name -> owner of its most recent won deal (else of its most recent deal)."""
    owners = {}
    for name in ACCOUNT_IDS:
        deals = [d for d in DEALS if d.account == name]
        won = [d for d in deals if d.outcome == "won"]
        owners[name] = max(won or deals, key=lambda d: d.close).owner
    return owners


EXPECTED_OPEN = sum(d.outcome == "open" for d in DEALS)  # 5, three of them without an amount
EXPECTED_OPEN_WITHOUT_AMOUNT = sum(d.outcome == "open" and d.amount is None for d in DEALS)


@dataclass
class Export:
    vendor: str
    path: Path
    ids: list[str] = field(default_factory=list)  # the deals' IDs as the vendor wrote them
    skipped_rows: list[int] = field(default_factory=list)  # rows that are not deals


def _quarter(d: dt.date) -> int:
    return (d.month - 1) // 3 + 1


def _us(d: dt.date) -> str:
    """Salesforce's US-locale date: 3/31/2024 (no leading zeros)."""
    return f"{d.month}/{d.day}/{d.year}"


def _created(d: Deal) -> dt.date:
    return d.est_close - dt.timedelta(days=45 + 7 * (d.n % 5))


def _clock(d: Deal, base: int = 9) -> dt.time:
    """A fixed time of day per deal, mid-working-day (no date shifts by time zone)."""
    return dt.time(base + d.n % 6, (d.n * 7) % 60, (d.n * 13) % 60)


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the plain canonical CSV ----------------------------------------------------------------------
def write_plain(folder: Path) -> Path:
    """The same deals as a plain canonical opportunities.csv (ISO dates, account IDs)."""
    stage = {"won": "Closed Won", "lost": "Closed Lost", "open": "Proposal"}
    path = _mkdir(folder) / "opportunities.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "opportunity_id",
                "account_id",
                "account_name",
                "amount",
                "stage",
                "close_date",
                "owner",
            ]
        )
        for d in DEALS:
            w.writerow(
                [
                    f"O-{d.n:03d}",
                    ACCOUNT_IDS[d.account],
                    d.account,
                    "" if d.amount is None else f"{d.amount:.2f}",
                    stage[d.outcome],
                    d.close.isoformat(),
                    d.owner,
                ]
            )
    return path


# -- Salesforce -----------------------------------------------------------------------------------
# Salesforce standard opportunity stages (Setup > Opportunity Stages, the default picklist).
SF_OPEN = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
SF_PROB = [10, 20, 20, 75, 90]
SF_FOOTER = [
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.",
]


def _sf_stage(d: Deal) -> tuple[str, int]:
    if d.outcome == "won":
        return "Closed Won", 100
    if d.outcome == "lost":
        return "Closed Lost", 0
    return SF_OPEN[d.stage_step], SF_PROB[d.stage_step]


# Salesforce "Export a Report" > Details Only > Comma Delimited .csv.
# Documented: Salesforce Help, "Export a Report" (Details Only vs Formatted Report; CSV and XLS
# only for Details Only); Code42 "Code42 predicts filenames for Salesforce report downloads"
# (https://support.code42.com/Incydr/Admin/Code42_console_reference/Code42_predicts_filenames_for_Salesforce_report_downloads):
# a Details Only CSV is named "report" + a 13-digit epoch-milliseconds stamp. The footer (a blank
# line, then the confidentiality and copyright lines, every field quoted) is what real exports
# carry; public code stripping it: e.g. the "EXCLUSION_KEYWORDS = ['Confidential Information - Do
# Not Distribute', 'Copyright © 2000-2025 salesforce.com, inc. All rights reserved.']" filters
# and a test appending '"Confidential Information - Do Not Distribute"' /
# '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."' after a blank line
# (found by the code search). Dates are in the user's locale (en_US: M/D/YYYY); the standard
# opportunity report columns (Opportunity Owner, Account Name, Opportunity Name, Stage, Fiscal
# Period, Amount, Probability (%), Close Date, Created Date, Type).
def write_salesforce_csv(folder: Path) -> Export:
    path = _mkdir(folder) / "report1751275312345.csv"
    header = [
        "Opportunity Owner",
        "Account Name",
        "Opportunity Name",
        "Stage",
        "Fiscal Period",
        "Amount",
        "Probability (%)",
        "Close Date",
        "Created Date",
        "Type",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        w.writerow(header)
        for d in DEALS:
            stage, prob = _sf_stage(d)
            w.writerow(
                [
                    d.owner,
                    d.account,
                    d.title,
                    stage,
                    f"Q{_quarter(d.close)}-{d.close.year}",
                    "" if d.amount is None else f"{d.amount:g}",
                    prob,
                    _us(d.close),
                    _us(_created(d)),
                    "Existing Business" if "Renewal" in d.title else "New Business",
                ]
            )
        f.write("\n")
        w.writerows([[line] for line in SF_FOOTER])
    first_footer = 1 + len(DEALS) + 2  # header, the deals, the blank line
    return Export("salesforce_csv", path, skipped_rows=[first_footer, first_footer + 1])


# Salesforce "Export a Report" > Formatted Report (.xlsx), a summary report grouped by account.
# Documented: Salesforce Help, "Export a Report" (Formatted Report keeps the report's header,
# groupings and subtotals; XLSX only); Salesforce Reports REST API, "Download Formatted Excel
# Reports Using the Reports REST API"
# (https://developer.salesforce.com/docs/analytics/salesforce-analytics-rest-api/guide/sforce-analytics-rest-api-download-excel.html);
# the file name is the report name followed by the export date and time (Code42 page above).
# Layout: report title, the "Filtered By:" block and a generated line above the header; the
# group value (Account Name) in one cell merged down its deals; a "Subtotal" row after each
# group; a "Total" row at the end; dates as real dates (m/d/yyyy), amounts as numbers in a
# currency format.
def write_salesforce_xlsx(folder: Path) -> Export:
    name = "Opportunities by Account"
    path = _mkdir(folder) / f"{name}-2025-06-30-09-41-12.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    ws["A1"] = name
    ws["A1"].font = Font(size=16, bold=True)
    ws["A2"] = "Filtered By:"
    ws["A2"].font = Font(bold=True)
    ws["A3"] = "    Show: All opportunities"
    ws["A4"] = "    Close Date: All Time"
    ws["A5"] = "Generated By: Ann Lee  6/30/2025, 9:41 AM"
    ws["A6"] = "Northwind Holdings, Inc."
    header_row = 8
    header = [
        "Account Name",
        "Opportunity Name",
        "Opportunity Owner",
        "Stage",
        "Close Date",
        "Amount",
    ]
    for c, h in enumerate(header, 1):
        ws.cell(header_row, c, h).font = Font(bold=True)
    money = '"$"#,##0.00'
    r = header_row + 1
    skipped: list[int] = []
    for account in sorted(ACCOUNT_IDS):
        deals = sorted((d for d in DEALS if d.account == account), key=lambda d: d.close)
        top = r
        for d in deals:
            ws.cell(r, 2, d.title)
            ws.cell(r, 3, d.owner)
            ws.cell(r, 4, _sf_stage(d)[0])
            ws.cell(r, 5, d.close).number_format = "m/d/yyyy"
            if d.amount is not None:
                ws.cell(r, 6, d.amount).number_format = money
            r += 1
        ws.cell(top, 1, account).alignment = Alignment(vertical="top")
        ws.merge_cells(start_row=top, start_column=1, end_row=r - 1, end_column=1)
        ws.cell(r, 2, "Subtotal").font = Font(bold=True)
        sub = sum(d.amount or 0 for d in deals)
        ws.cell(r, 6, sub).number_format = money
        skipped.append(r)
        r += 1
    ws.cell(r, 1, "Total").font = Font(bold=True)
    ws.cell(r, 6, sum(d.amount or 0 for d in DEALS)).number_format = money
    skipped.append(r)
    wb.save(path)
    return Export("salesforce_xlsx", path, skipped_rows=skipped)


# -- HubSpot --------------------------------------------------------------------------------------
# HubSpot default sales pipeline stage labels ("Sales Pipeline").
HS_OPEN = [
    "Appointment scheduled",
    "Qualified to buy",
    "Presentation scheduled",
    "Decision maker bought-in",
    "Contract sent",
]


def _hs_id(d: Deal) -> int:
    return 18634527000 + 37 * d.n


# HubSpot deals index page > Export (view), format XLSX.
# Documented: HubSpot Knowledge Base, "Export your records" / developers.hubspot.com "CRM API |
# Exports" (https://developers.hubspot.com/docs/api/crm/exports: format XLSX, CSV or XLS; file
# "hubspot-crm-exports-<view>-<date>"). Column labels as in public code reading real exports:
# "Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date", "Deal owner",
# "Associated Company (Primary)", "Pipeline" (e.g. DEAL_FIELDS = ["Record ID", "Deal Name",
# "Deal Stage", "Amount", "Close Date", "Create Date", ..., "Deal owner",
# "Associated Company (Primary)"]). The XLSX stores Record ID and Amount as numbers and dates as
# date-times; open deals often have no amount.
def write_hubspot(folder: Path) -> Export:
    path = _mkdir(folder) / "hubspot-crm-exports-all-deals-2025-06-30.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "All deals"
    ws.append(
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Amount",
            "Close Date",
            "Deal owner",
            "Associated Company (Primary)",
            "Pipeline",
            "Create Date",
        ]
    )
    for d in DEALS:
        stage = {"won": "Closed won", "lost": "Closed lost"}.get(d.outcome) or HS_OPEN[d.stage_step]
        ws.append(
            [
                _hs_id(d),
                d.title,
                stage,
                d.amount,
                dt.datetime.combine(d.close, _clock(d)),
                d.owner,
                d.account,
                "Sales Pipeline",
                dt.datetime.combine(_created(d), _clock(d, 8)),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = "0"
        row[4].number_format = row[8].number_format = "yyyy-mm-dd hh:mm"
    return _save(wb, path, Export("hubspot", path, ids=[str(_hs_id(d)) for d in DEALS]))


def _save(wb: openpyxl.Workbook, path: Path, export: Export) -> Export:
    wb.save(path)
    return export


# -- Dynamics 365 ---------------------------------------------------------------------------------
def _guid(d: Deal) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kamdash-test/opportunity/{d.n}"))


def _checksum(d: Deal) -> str:
    return base64.b64encode(hashlib.sha256(f"{d.n}:{d.title}".encode()).digest()[:48]).decode()


# Dynamics 365 Sales, an opportunity view > Export to Excel (static worksheet).
# Documented: Microsoft Learn, "Export data to Excel" (Power Apps / Dynamics 365 model-driven
# apps); Nishant Rana, "Import Data – Import Data Wizard – few key points"
# (https://nishantrana.me/2022/07/20/import-data-import-data-wizard-few-key-points/): the file is
# named after the view with a timestamp and "has 3 hidden columns that allow for re-import":
# the record's GUID, "(Do Not Modify) Row Checksum" and "(Do Not Modify) Modified On"; the
# workbook also carries a hidden sheet "hiddenSheet" (the entity and option-set values of the
# export). Opportunity columns: Topic, Potential Customer, Est. Close Date, Est. Revenue,
# Actual Revenue, Actual Close Date, Status (Open / Won / Lost), Status Reason (In Progress,
# On Hold, Won, Canceled, Out-Sold), Owner. A won deal's figures are its Actual Revenue on its
# Actual Close Date (the estimates are what was planned); a lost deal has Actual Revenue 0.
def write_dynamics(folder: Path) -> Export:
    view = "All Opportunities"
    path = _mkdir(folder) / f"{view} 6-30-2025 9-41-12 AM.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = view
    header = [
        "(Do Not Modify) Opportunity",
        "(Do Not Modify) Row Checksum",
        "(Do Not Modify) Modified On",
        "Topic",
        "Potential Customer",
        "Est. Close Date",
        "Est. Revenue",
        "Actual Revenue",
        "Actual Close Date",
        "Status",
        "Status Reason",
        "Owner",
    ]
    ws.append(header)
    for d in DEALS:
        status = {"won": "Won", "lost": "Lost", "open": "Open"}[d.outcome]
        reason = {"won": "Won", "lost": "Out-Sold" if d.n % 2 else "Canceled"}.get(
            d.outcome, "On Hold" if d.stage_step == 0 else "In Progress"
        )
        closed = d.outcome != "open"
        ws.append(
            [
                _guid(d),
                _checksum(d),
                dt.datetime.combine(d.close if closed else D(2025, 6, 2), _clock(d)),
                d.title,
                d.account,
                d.est_close,
                d.est_amount,
                (d.amount if d.outcome == "won" else 0) if closed else None,
                d.close if closed else None,
                status,
                reason,
                d.owner,
            ]
        )
    for row in ws.iter_rows(min_row=2):
        row[2].number_format = "m/d/yyyy h:mm AM/PM"
        row[5].number_format = row[8].number_format = "m/d/yyyy"
        row[6].number_format = row[7].number_format = '"$"#,##0.00'
    for col in "ABC":
        ws.column_dimensions[col].hidden = True
    hidden = wb.create_sheet("hiddenSheet")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "opportunity:" + base64.b64encode(b"kamdash-test-view").decode()
    hidden["A2"] = "Status"
    for i, v in enumerate(["Open", "Won", "Lost"], 3):
        hidden.cell(i, 1, v)
    hidden["B2"] = "Status Reason"
    for i, v in enumerate(["In Progress", "On Hold", "Won", "Canceled", "Out-Sold"], 3):
        hidden.cell(i, 2, v)
    return _save(wb, path, Export("dynamics", path, ids=[_guid(d) for d in DEALS]))


# -- Pipedrive ------------------------------------------------------------------------------------
# Pipedrive default pipeline stages ("Pipeline").
PD_STAGES = ["Qualified", "Contact Made", "Demo Scheduled", "Proposal Made", "Negotiations Started"]


def _pd_id(d: Deal) -> int:
    return 1040 + d.n


# Pipedrive deals list view > "..." > Export filter results > CSV.
# Documented: Pipedrive Knowledge Base, "Exporting data from Pipedrive"; every column is
# prefixed with its entity ("Deal - Title", "Deal - Value", "Deal - Currency",
# "Deal - Organization", "Deal - Owner", "Deal - Status" open/won/lost, "Deal - Won time",
# "Deal - Lost time", "Deal - Deal closed on", "Deal - Expected close date", "Deal - Stage",
# "Deal - Pipeline"), as in public code reading real exports (e.g. column tables listing
# `Deal - Won time` "Timestamp of won", `Deal - Deal closed on`, `Deal - Status` "open", "won",
# "lost"; a Czech export "Obchod - ..."). A deal without a value exports Value 0 (Pipedrive's
# default), the stage stays where the deal was when it was won or lost, and the won time (not
# the expected close date) is when revenue was booked. Times are "YYYY-MM-DD HH:MM:SS".
def write_pipedrive(folder: Path) -> Export:
    path = _mkdir(folder) / "deals-8317402-17.csv"
    header = [
        "Deal - ID",
        "Deal - Title",
        "Deal - Creator",
        "Deal - Owner",
        "Deal - Value",
        "Deal - Currency",
        "Deal - Organization",
        "Deal - Pipeline",
        "Deal - Stage",
        "Deal - Status",
        "Deal - Deal created",
        "Deal - Won time",
        "Deal - Lost time",
        "Deal - Deal closed on",
        "Deal - Expected close date",
        "Deal - Lost reason",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for d in DEALS:
            closed_at = f"{d.close.isoformat()} {_clock(d)}"
            stage = PD_STAGES[d.stage_step] if d.outcome == "open" else PD_STAGES[-1 - d.n % 2]
            w.writerow(
                [
                    _pd_id(d),
                    d.title,
                    ANN,
                    d.owner,
                    f"{d.amount or 0:g}",
                    "USD",
                    d.account,
                    "Pipeline",
                    stage,
                    d.outcome,
                    f"{_created(d).isoformat()} {_clock(d, 8)}",
                    closed_at if d.outcome == "won" else "",
                    closed_at if d.outcome == "lost" else "",
                    closed_at if d.outcome != "open" else "",
                    d.est_close.isoformat(),
                    "Went with a competitor" if d.outcome == "lost" else "",
                ]
            )
    return Export("pipedrive", path, ids=[str(_pd_id(d)) for d in DEALS])


# -- Zoho CRM -------------------------------------------------------------------------------------
ZOHO_OPEN = [
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
ZOHO_PROB = [10, 20, 40, 75, 90]


def _zoho_id(d: Deal) -> str:
    return f"zcrm_4876876000000{356001 + 4 * d.n}"


# Zoho CRM, Setup > Data Administration > Export > Deals (CSV).
# Documented: Zoho CRM Help, "Exporting Data" (Data Administration > Export, a CSV per module);
# the export's "Record Id" column carries "zcrm_" + the record ID (public code converting them:
# "csv_id": "zcrm_495490000010864021" -> "api_id": "495490000010864021", "Standard CSV Record
# ID"); deal fields Deal Owner, Deal Name, Account Name, Amount, Closing Date, Stage, Type,
# Probability (%), Expected Revenue, Lead Source, Currency, Exchange Rate, Created Time
# (Zoho's standard Deals fields; default stages Qualification ... Negotiation/Review,
# Closed Won, Closed Lost, Closed-Lost to Competition). Dates yyyy-MM-dd, times
# yyyy-MM-dd HH:mm:ss.
def write_zoho(folder: Path) -> Export:
    path = _mkdir(folder) / "Deals_001.csv"
    header = [
        "Record Id",
        "Deal Owner",
        "Deal Name",
        "Account Name",
        "Amount",
        "Closing Date",
        "Stage",
        "Type",
        "Probability (%)",
        "Expected Revenue",
        "Lead Source",
        "Currency",
        "Exchange Rate",
        "Created Time",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for d in DEALS:
            if d.outcome == "won":
                stage, prob = "Closed Won", 100
            elif d.outcome == "lost":
                stage = "Closed-Lost to Competition" if d.n % 2 else "Closed Lost"
                prob = 0
            else:
                stage, prob = ZOHO_OPEN[d.stage_step], ZOHO_PROB[d.stage_step]
            w.writerow(
                [
                    _zoho_id(d),
                    d.owner,
                    d.title,
                    d.account,
                    "" if d.amount is None else f"{d.amount:.2f}",
                    d.close.isoformat(),
                    stage,
                    "Existing Business" if "Renewal" in d.title else "New Business",
                    prob,
                    "" if d.amount is None else f"{d.amount * prob / 100:.2f}",
                    "Partner" if d.n % 3 == 0 else "Web Site",
                    "USD",
                    "1",
                    f"{_created(d).isoformat()} {_clock(d, 8)}",
                ]
            )
    return Export("zoho", path, ids=[_zoho_id(d) for d in DEALS])


WRITERS = {
    "salesforce_csv": write_salesforce_csv,
    "salesforce_xlsx": write_salesforce_xlsx,
    "hubspot": write_hubspot,
    "dynamics": write_dynamics,
    "pipedrive": write_pipedrive,
    "zoho": write_zoho,
}
