"""The layers of the package, held to one direction: text → document → forecasts → outcomes →
scores → site. A lower layer never imports a higher one, and no module imports itself round a cycle."""

from pathlib import Path

from layers import LAYERS, cycles, imports, layer, upward

ROOT = Path(__file__).resolve().parent.parent


def test_no_layer_imports_a_higher_one():
    assert upward(imports()) == []


def test_there_are_no_import_cycles():
    assert cycles(imports()) == []


def test_every_module_belongs_to_a_layer():
    assert {layer(m) for m in imports()} <= set(LAYERS)


def test_no_module_is_much_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "tracker").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 620}
    assert long == {}


def test_the_check_sees_an_upward_import():
    graph = {"tracker.ledger.outcomes": {"tracker.scores.board"}, "tracker.scores.board": set()}
    assert upward(graph) == ["tracker.ledger.outcomes (ledger) imports tracker.scores.board (scores)"]
    assert cycles({"tracker.a.x": {"tracker.a.y"}, "tracker.a.y": {"tracker.a.x"}}) == ["tracker.a.x", "tracker.a.y"]
