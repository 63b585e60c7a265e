"""The dashboard over plain HTTP: the key guards every page and command, the command panel
starts runs and switches adapters, and the admin API does the same for scripts."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from finetune.registry import AdapterRegistry, shipped_adapter
from ingestion.testshop import TestShop
from storage.factory import create_store
from tests.app.conftest import LiveServer
from tests.conftest import ROOT
from tests.pipeline.conftest import ADMIN, pipeline_settings, wait_for_run


def _login(client: httpx.Client) -> None:
    response = client.post("/admin/login", data={"key": "operator-key-for-tests"})
    assert response.status_code == 200 and str(response.url).endswith("/admin")


def test_pages_and_commands_need_the_key(data_dir: Path, shop: TestShop) -> None:
    report = data_dir / "eval" / "sample" / "report"
    report.mkdir(parents=True)
    shutil.copy(ROOT / "evaluation" / "reports" / "sample" / "results.json", report)
    with (
        LiveServer(pipeline_settings(data_dir, shop), None) as live,
        httpx.Client(base_url=live.url, follow_redirects=True, timeout=30) as client,
    ):
        for path in ("/admin", "/admin/products?q=leche"):
            assert str(client.get(path).url).endswith("/admin/login")
        client.post("/admin/actions/index")
        assert client.get("/admin/api/runs", headers=ADMIN).json() == []  # nothing started
        wrong = client.post("/admin/login", data={"key": "guess"})
        assert str(wrong.url).endswith("failed=1") and "operator-key-for-tests" not in wrong.text
        assert "supersmart_admin" not in client.cookies

        _login(client)
        assert (
            client.cookies["supersmart_admin"] != "operator-key-for-tests"
        )  # an HMAC, not the key
        page = client.get("/admin").text
        for section in ("Modo actual", "Ejecuciones por cadena", "Errores de scraping",
                        "Cambios de precio", "Versiones", "import:jsonl"):  # fmt: skip
            assert section in page
        assert "Preguntas «sample» (64)" in page and "95 % (n=64)" in page  # service answers
        client.post("/admin/logout")
        assert str(client.get("/admin").url).endswith("/admin/login")


def test_command_panel_runs_steps_and_switches_adapters(data_dir: Path, shop: TestShop) -> None:
    settings = pipeline_settings(data_dir, shop)
    registry = AdapterRegistry(settings.data_dir / "adapters")
    shipped = shipped_adapter()
    assert shipped is not None
    for name in ("v1", "v2"):
        (settings.data_dir / "adapters" / name).mkdir(parents=True)
        shutil.copy(shipped, settings.data_dir / "adapters" / name / "adapter.gguf")

    with (
        LiveServer(settings, None) as live,
        httpx.Client(base_url=live.url, follow_redirects=True, timeout=30) as client,
    ):
        _login(client)
        started = client.post("/admin/actions/index")
        assert "Iniciado: reconstrucción del índice" in started.text
        [run] = client.get("/admin/api/runs", headers=ADMIN).json()
        run = wait_for_run(client, run["id"])
        assert run["steps"][0]["status"] == "completed"  # forced: rebuilt though unchanged
        assert run["trigger"] == "dashboard"

        promoted = client.post("/admin/actions/promote", data={"version": "v2"})
        assert "En servicio: adaptador v2" in promoted.text
        assert registry.current_name() == "v2"
        unknown = client.post("/admin/actions/promote", data={"version": "v9"})
        assert "No se pudo" in unknown.text and registry.current_name() == "v2"
        assert client.post("/admin/api/adapters/v1/promote", headers=ADMIN).json() == {
            "in_service": "v1"
        }
        assert client.post("/admin/actions/rollback").status_code == 200
        assert registry.current_name() == "v2"
        page = client.get("/admin").text
        assert "promote v1" in page and "rollback v2" in page  # the promotion history

        shop.state.latency_s = 0.2
        client.post("/admin/actions/scrape", data={"chain": "dia"})
        busy = client.post("/admin/actions/pipeline")
        assert "No se pudo: A pipeline run is already in progress" in busy.text
        client.post("/admin/actions/abort")
        deadline = time.monotonic() + 20
        while client.get("/admin/api/runs", headers=ADMIN).json()[0]["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        last = client.get("/admin/api/runs", headers=ADMIN).json()[0]
        assert last["options"] == {"chains": ["dia"]} and last["status"] == "aborted"


async def test_abort_asks_scrapes_of_other_processes_to_stop_but_not_imports(
    data_dir: Path, shop: TestShop
) -> None:
    settings = pipeline_settings(data_dir, shop)
    store = create_store(settings)
    await store.initialize()
    try:  # a `supersmart scrape` and a `supersmart import` running in other processes
        scrape = await store.start_execution("dia", "scrape")
        load = await store.start_execution("import:jsonl", "import")
        with LiveServer(settings, None) as live, httpx.Client(base_url=live.url) as client:
            answer = client.post("/admin/api/abort", headers=ADMIN).json()
        assert answer == {"pipeline": False, "scrapes": 1}
        assert await store.abort_requested(scrape.id)
        assert not await store.abort_requested(load.id)
    finally:
        await store.close()
