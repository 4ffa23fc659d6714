"""The Grafana dashboard and the Prometheus alert rules in deploy/: they load, they have the
shape Grafana and Prometheus take, and every metric they use is one the bot exports (the list is
the registry's own, not kept by hand)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.wiring.metrics import metrics_labels, metrics_series

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "storefront.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\bstorefront_[a-z0-9_]+")
DURATION = re.compile(r"[0-9]+[smhdwy]")
LEGEND_LABEL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
ANNOTATION_LABEL = re.compile(r"\$labels\.([A-Za-z_][A-Za-z0-9_]*)")
# The labels Prometheus gives every series of a scrape target. A metric's own label of that name
# becomes `exported_job` (without honor_labels), and a legend or alert naming it shows the
# scrape job's name instead of the metric's value.
TARGET_LABELS = frozenset({"job", "instance"})


def used_metrics(expr: str) -> set[str]:
    return set(METRIC.findall(expr))


def balanced(expr: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for char in re.sub(r'"[^"]*"', "", expr):  # label values may hold anything
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            return False
    return not stack


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text("utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def test_the_exported_series_include_every_kind_of_metric() -> None:
    exported = metrics_series()
    for name in (
        "storefront_updates_total",
        "storefront_handler_seconds_bucket",
        "storefront_bot_api_calls_total",
        "storefront_upstream_calls_total",
        "storefront_upstream_call_seconds_bucket",
        "storefront_orders",
        "storefront_open_holds_amount",
        "storefront_customer_balances",
        "storefront_deposits_credited_total",
        "storefront_usdt_watch_lag_seconds",
        "storefront_reconciliation_backlog",
        "storefront_review_queue",
        "storefront_job_last_success_timestamp_seconds",
        "storefront_job_failures_total",
    ):
        assert name in exported, name
    assert "storefront_no_such_thing" not in exported


def test_no_metric_has_a_label_prometheus_gives_its_targets() -> None:
    labels = metrics_labels()
    # The labels are the registry's own: every kind of metric shows them.
    assert labels["storefront_updates_total"] == {"type", "outcome"}
    assert labels["storefront_handler_seconds_bucket"] == {"type", "le"}
    assert labels["storefront_orders"] == {"line", "status"}
    assert labels["storefront_ready"] == {"check"}
    assert labels["storefront_process_resident_memory_bytes"] == set()
    assert set(labels) == metrics_series()
    clashing = {
        series: sorted(names & TARGET_LABELS)
        for series, names in labels.items()
        if names & TARGET_LABELS
    }
    assert clashing == {}


def labels_of(expr: str) -> frozenset[str]:
    """The labels the series an expression uses carry, and the target's `instance`."""
    labels = metrics_labels()
    return frozenset({"instance"}).union(*(labels[name] for name in used_metrics(expr)))


def test_legends_and_alert_texts_name_only_labels_their_series_carry() -> None:
    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            named = set(LEGEND_LABEL.findall(target.get("legendFormat", "")))
            assert named <= labels_of(target["expr"]), (panel["title"], target["legendFormat"])
    for rule in alert_rules():
        for text in rule["annotations"].values():
            named = set(ANNOTATION_LABEL.findall(text))
            assert named <= labels_of(rule["expr"]), (rule["alert"], text)


def test_the_dashboard_uses_only_exported_metrics_and_imports_as_grafana_json() -> None:
    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    assert dashboard["title"] and dashboard["uid"] and isinstance(dashboard["schemaVersion"], int)
    [source] = dashboard["__inputs"]
    assert source["type"] == "datasource" and source["pluginId"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    exported = metrics_series()
    used: set[str] = set()
    for panel in dashboard["panels"]:
        assert panel["title"]
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${" + source["name"] + "}"
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert balanced(target["expr"]), target["expr"]
            assert used_metrics(target["expr"]), target["expr"]
            used |= used_metrics(target["expr"])
    assert used <= exported, sorted(used - exported)
    # It shows what the issue asks to watch.
    for wanted in (
        "storefront_review_queue",
        "storefront_usdt_watch_lag_seconds",
        "storefront_open_holds",
        "storefront_upstream_up",
    ):
        assert wanted in used, wanted


def test_the_alert_rules_use_only_exported_metrics_and_have_prometheus_shape() -> None:
    loaded = yaml.safe_load(ALERTS.read_text("utf-8"))
    assert set(loaded) == {"groups"}
    for group in loaded["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"} and group["name"]
    rules = alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    exported = metrics_series()
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rule["alert"]), rule["alert"]
        assert "for" not in rule or DURATION.fullmatch(rule["for"]), rule
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert balanced(rule["expr"]), rule["expr"]
        assert used_metrics(rule["expr"]) <= exported, (rule["alert"], rule["expr"])
        assert used_metrics(rule["expr"]), rule["alert"]
    # What the issue asks to be alerted of: upstream down, review queue growing, the USDT watch
    # lagging, holds stuck.
    by_metric = {metric for rule in rules for metric in used_metrics(rule["expr"])}
    for wanted in (
        "storefront_upstream_up",
        "storefront_review_queue",
        "storefront_usdt_watch_lag_seconds",
        "storefront_open_hold_oldest_age_seconds",
    ):
        assert wanted in by_metric, wanted


@pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason="promtool is not installed (Debian's prometheus package; `make test` installs it)",
)
def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    checked = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in checked.stdout
