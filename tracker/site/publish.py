"""Publishing for readers: a read-only, immutable snapshot of the ledger, and the command that serves it.

A snapshot directory holds everything a host needs and nothing that can change:

- ``forecasts.db``: a consistent copy made with SQLite's backup API (``tracker.ledger.backup``), in
  rollback-journal mode and read-only on disk, served with ``-i`` (immutable: no locking, counts
  cached);
- ``counts.json``: ``datasette inspect`` of that copy, so Datasette never counts rows at start-up;
- ``metadata.yml``, only when ``--metadata`` names a file: the publisher's own Datasette metadata
  (a title, a licence), merged over the site's. The site's metadata (descriptions, canned queries,
  charts) is not copied: it ships inside the tracker wheel, whose plugin supplies it;
- ``settings.json``: the served settings, a SQL time limit and a row limit among them, the same
  that ``tracker serve`` uses; arbitrary SQL stays on (the charts run through it);
- ``requirements.txt``: pinned versions of Datasette, its plugins and tracker itself, with the
  tracker wheel under ``wheels/`` (built here from the installed package, so nothing is fetched);
- ``snapshot.json``, written last: what was published: the database's SHA-256 and row counts, the
  pins, the settings, the commands, and every other file's SHA-256 (``checksums``).

Nothing here writes to the ledger; the served instance has no write plugin and no writing route.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from tracker import __version__
from tracker.errors import TrackerError
from tracker.intake.documents import sha256_file
from tracker.ledger.files import replace_directory, temporary

#: Settings of every served instance. `tracker serve` passes the same two limits.
LIMITS = {"sql_time_limit_ms": 3000, "max_returned_rows": 2000}
#: A published instance also skips facet suggestions (a query per column on every table page;
#: they halve throughput, see the README's benchmarks) and keeps arbitrary SQL on.
SETTINGS = {**LIMITS, "suggest_facets": False, "default_allow_sql": True}
TARGETS = ("package", "cloudrun", "vercel", "fly")
#: Datasette plugins the published site loads, beside tracker's own: the charts and what they use.
PLUGINS = ("datasette-dashboards", "datasette-leaflet", "datasette-render-markdown")
DATABASE = "forecasts.db"  # the database `forecasts`: its URLs are /forecasts/..., as db/forecasts.db's
#: The publisher's own metadata in a snapshot, when there is any (the site's comes with the wheel).
METADATA = "metadata.yml"
MANIFEST = "snapshot.json"


#: Fields of Datasette metadata that are text, at the top, in a database or in a table.
_TEXT_FIELDS = ("title", "description", "description_html", "license", "license_url", "source", "source_url",
                "about", "about_url")


def own_metadata(path: str | Path) -> Path:
    """The publisher's own metadata file (`serve --metadata`, `publish --metadata`), checked before
    Datasette sees it: read through tracker.inputs (a regular file, the size limit, UTF-8, YAML
    with its limits, or JSON for a .json file), a mapping, and the parts Datasette reads as
    mappings or text shaped so. Datasette itself would print a traceback, or start and fail on
    every page. The path, or a one-line error naming the file and the field."""
    from tracker import inputs

    path = Path(path)
    if not path.exists():
        raise TrackerError(f"{path}: no metadata file here")
    text = inputs.read_text(path)
    if path.suffix.lower() == ".json":
        data = inputs.load_json(text, path, unique_keys=True)
    else:
        data = inputs.load_yaml(text, path)
    _shape(path, data, "", {"databases": {"tables": {}, "queries": None}})
    return path


def _shape(path: Path, value: object, where: str, nested: dict) -> None:
    """`value` a mapping whose text fields are text and whose `nested` keys are mappings of
    mappings (shaped in turn by the sub-dict; None: canned queries, SQL text or a mapping)."""
    name = where or "the top level"
    if not isinstance(value, dict):
        raise TrackerError(f"{path}: {name}: expected a mapping of fields, got {_kind(value)}")
    for key in _TEXT_FIELDS:
        if value.get(key) is not None and not isinstance(value[key], str):
            raise TrackerError(f"{path}: {where + '.' if where else ''}{key}: expected text, got {_kind(value[key])}")
    if "plugins" in value and not isinstance(value["plugins"], dict):
        raise TrackerError(f"{path}: {where + '.' if where else ''}plugins: expected a mapping, "
                           f"got {_kind(value['plugins'])}")
    for key, inner in nested.items():
        if key not in value or value[key] is None:
            continue
        at = f"{where}.{key}" if where else key
        items = value[key]
        if not isinstance(items, dict):
            raise TrackerError(f"{path}: {at}: expected a mapping, got {_kind(items)}")
        for item_name, item in items.items():
            if inner is None:  # a canned query: its SQL, or a mapping with one
                sql = item.get("sql") if isinstance(item, dict) else item
                if not isinstance(sql, str):
                    raise TrackerError(f"{path}: {at}.{item_name}: expected SQL text, or a mapping with sql")
            else:
                _shape(path, item, f"{at}.{item_name}", inner)


def _kind(value: object) -> str:
    return {list: "a list", dict: "a mapping", str: "text", bool: "true or false", type(None): "nothing"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def setting_args(settings: dict = SETTINGS) -> list[str]:
    """``--setting NAME VALUE`` for each setting, as ``datasette serve`` takes them."""
    out = []
    for name, value in settings.items():
        out += ["--setting", name, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return out


def pins() -> dict[str, str]:
    """The installed versions of Datasette and the plugins the site needs, and tracker's own."""
    out = {}
    for name in ("datasette", *PLUGINS):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise TrackerError(f"{name} is not installed; install tracker with pip first") from None
    out["tracker"] = __version__
    return out


def build_wheel(dest: Path) -> Path:
    """A wheel of the installed tracker package (code, templates, scales, schema), written without a build
    backend or network: the files as installed, its metadata and entry points, and a RECORD."""
    import tracker

    package = Path(tracker.__file__).parent
    dist = importlib.metadata.distribution("tracker")
    info = f"tracker-{__version__}.dist-info"
    metadata = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    entry_points = dist.read_text("entry_points.txt")
    if not metadata or not entry_points:
        raise TrackerError("tracker's installed metadata is incomplete; reinstall it with pip")
    files = sorted(p for p in package.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts
                   and (p.suffix in (".py", ".html", ".yml", ".sql") or p.name == "py.typed"))
    contents = [(f"tracker/{p.relative_to(package).as_posix()}", p.read_bytes()) for p in files]
    contents += [(f"{info}/METADATA", metadata.encode()), (f"{info}/entry_points.txt", entry_points.encode()),
                 (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: tracker.site.publish\nRoot-Is-Purelib: true\n"
                                   b"Tag: py3-none-any\n")]
    record = []
    wheel = dest / f"tracker-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in contents:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        record.append(f"{info}/RECORD,,")
        zf.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0)), "\n".join(record) + "\n")
    return wheel


def commands(target: str, name: str, versions: dict[str, str], wheel: str, *,
             metadata: bool = False) -> dict[str, list[str]]:
    """The commands that serve the snapshot, each run from inside its directory; with `metadata`,
    they pass the snapshot's metadata.yml (the publisher's own) to Datasette.

    `serve` runs it here or on any host of your own (immutable, with the inspect file); `publish`
    hands it to `target`. `datasette package` and `datasette publish cloudrun` build a Docker image
    whose `datasette serve` already runs with `-i` and an inspect file made in the build.
    """
    if target not in TARGETS:
        raise TrackerError(f"--target {target!r}: choose one of {', '.join(TARGETS)}")
    own = ["--metadata", METADATA] if metadata else []
    serve = ["datasette", "serve", "-i", DATABASE, "--inspect-file", "counts.json", *own, *setting_args()]
    install = [f"{n}=={v}" for n, v in versions.items() if n != "tracker"] + [f"wheels/{wheel}"]
    common = [DATABASE, *own]
    for item in install:
        common += ["--install", item]
    common += ["--static", "wheels:wheels", "--version-note", f"tracker {versions['tracker']} snapshot"]
    docker_settings = ["--extra-options", " ".join(setting_args())]
    publish = {
        "package": ["datasette", "package", *common, "--tag", name, *docker_settings],
        "cloudrun": ["datasette", "publish", "cloudrun", *common, "--service", name, *docker_settings],
        "vercel": ["datasette", "publish", "vercel", *common, "--project", name, *setting_args()],
        "fly": ["datasette", "publish", "fly", *common, "--app", name, *setting_args()],
    }[target]
    return {"serve": serve, "publish": publish}


def snapshot(db_path: str | Path, directory: str | Path, *, metadata: str | Path | None = None,
             target: str = "package", name: str = "tracker-forecasts") -> dict:
    """Write a snapshot of the ledger at `db_path` into `directory` and return what was written.
    `metadata` is a Datasette metadata file of the publisher's own, copied in and served over the
    site's; without it the snapshot holds none (the wheel's plugin brings the site's).

    The snapshot is built in a new temporary directory beside `directory`, flushed to disk, and
    renamed into place only when complete (tracker.ledger.files), so a failed or killed run
    leaves the previous snapshot as it was. An existing `directory` is replaced only if it is a
    snapshot (it holds snapshot.json) that holds no file its snapshot.json does not list; any other
    non-empty directory is refused.
    """
    db_path, directory = Path(db_path), Path(directory)
    metadata = Path(metadata) if metadata is not None else None
    if target not in TARGETS:
        raise TrackerError(f"--target {target!r}: choose one of {', '.join(TARGETS)}")
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise TrackerError(f"--name {name!r}: use letters, digits, '-' and '_'")
    if metadata is not None:
        own_metadata(metadata)
    if Path.cwd().resolve().is_relative_to(directory.resolve()):
        raise TrackerError(f"{directory}: holds the current directory; choose a directory of its own for the snapshot")
    if directory.exists() and (not directory.is_dir() or (any(directory.iterdir())
                                                          and not (directory / MANIFEST).is_file())):
        raise TrackerError(f"{directory}: exists and is not a tracker snapshot; choose another --dir")
    if directory.exists() and (not_ours := _not_written_here(directory)):
        raise TrackerError(f"{directory / not_ours}: was not written by tracker publish; move it, "
                           f"or choose another --dir")
    versions = pins()
    real = directory.resolve()  # a symbolic link stays, and points to the new snapshot
    with temporary(real, directory=True) as partial:
        try:
            manifest = _build(partial, db_path, metadata, versions, target, name)
        except OSError as e:  # name the file in the snapshot, not in the temporary directory
            where = Path(e.filename) if e.filename else partial
            shown = directory / where.relative_to(partial) if where.is_relative_to(partial) else where
            raise TrackerError(f"{shown}: cannot write ({e.strerror or e})") from None
        except TrackerError as e:
            raise TrackerError(str(e).replace(str(partial), str(directory))) from None
        replace_directory(partial, real)
    return {"dir": str(directory), **manifest,
            "files": sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())}


def _build(partial: Path, db_path: Path, metadata: Path | None, versions: dict[str, str], target: str,
           name: str) -> dict:
    """Write the snapshot's files into `partial`; its manifest."""
    from tracker.ledger.backup import backup

    copy = backup(db_path, partial / DATABASE)
    counts = _inspect(partial)
    if metadata is not None:
        shutil.copyfile(metadata, partial / METADATA)
    (partial / "settings.json").write_text(json.dumps(SETTINGS, indent=2) + "\n", encoding="utf-8")
    (partial / "wheels").mkdir()
    wheel = build_wheel(partial / "wheels").name
    (partial / "requirements.txt").write_text(
        "".join(f"{n}=={v}\n" for n, v in versions.items() if n != "tracker") + f"./wheels/{wheel}\n",
        encoding="utf-8")
    cmds = commands(target, name, versions, wheel, metadata=metadata is not None)
    checksums = {p.relative_to(partial).as_posix(): sha256_file(p)
                 for p in sorted(partial.rglob("*")) if p.is_file()}
    manifest = {
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"file": DATABASE, "sha256": checksums[DATABASE], "bytes": copy["bytes"],
                     "integrity_check": copy["integrity_check"],
                     "tables": {t: c["count"] for t, c in sorted(counts["forecasts"]["tables"].items())
                                if t in ("authors", "documents", "questions", "forecasts", "outcomes")}},
        "pins": versions, "settings": SETTINGS, "target": target, "name": name,
        "commands": {k: shlex.join(v) for k, v in cmds.items()},
        "checksums": checksums,
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for p in partial.rglob("*"):
        if p.is_file():
            p.chmod(0o444)  # immutable: the served copy is never written
    return manifest


def _not_written_here(directory: Path) -> str | None:
    """The first file in an earlier snapshot that its snapshot.json does not list, if it lists
    its files (earlier snapshots do not; they are replaced whole, as they always were)."""
    try:
        listed = json.loads((directory / MANIFEST).read_text(encoding="utf-8")).get("checksums")
    except (OSError, ValueError, AttributeError):
        listed = None
    if not isinstance(listed, dict):
        return None
    for p in sorted(directory.rglob("*")):
        rel = p.relative_to(directory).as_posix()
        if p.is_dir() and not p.is_symlink():
            if not any(f.startswith(rel + "/") for f in listed):
                return rel
        elif rel != MANIFEST and rel not in listed:
            return rel
    return None


def _inspect(directory: Path) -> dict:
    """`datasette inspect` of the copied database into counts.json, run inside the directory so the
    file names no machine path."""
    try:
        result = subprocess.run([sys.executable, "-m", "datasette", "inspect", DATABASE,
                                 "--inspect-file", "counts.json"],
                                cwd=directory, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise TrackerError("datasette inspect: took longer than 300 s") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise TrackerError(f"datasette inspect: {last}")
    return json.loads((directory / "counts.json").read_text(encoding="utf-8"))


def run(argv: list[str], directory: str | Path) -> int:
    """Run a publish command inside the snapshot directory; a failure is one line naming it."""
    full = [sys.executable, "-m", "datasette", *argv[1:]]  # the Datasette installed beside tracker
    try:
        code = subprocess.run(full, cwd=directory).returncode
    except OSError as e:
        raise TrackerError(f"{shlex.join(argv)}: could not start ({e.strerror or e})") from None
    if code != 0:
        hint = {"vercel": " (needs the datasette-publish-vercel plugin and the vercel CLI)",
                "fly": " (needs the datasette-publish-fly plugin and flyctl)",
                "cloudrun": " (needs the gcloud CLI, logged in)", "package": " (needs Docker)"}
        kind = argv[2] if argv[1] == "publish" else argv[1]
        raise TrackerError(f"{shlex.join(argv[:3])}: failed with exit status {code}{hint.get(kind, '')}")
    return code
