"""Execute a notebook like `jupyter nbconvert --to notebook --execute --allow-errors`, keeping
the outputs the kernel sends after it reported the cell idle.

The Deno kernel can publish a cell's `execute_result` or `display_data` after the cell's
`status: idle` message. nbclient (the executor of nbconvert) stops listening for a cell at that
idle message and drops such late outputs: about one display in ten was lost on a loaded 2-core
machine. This client routes a late message to the cell it belongs to (by the parent message id)
while the next cell runs, and after the last cell runs a trivial sentinel cell and drains the
channel until it is quiet. The sentinel is removed before the notebook is written.

With HTML and TEMPLATES, the executed notebook is also exported as HTML with the template
`offline` of TEMPLATES, in this process (as `jupyter nbconvert --to html --template offline`
would, without starting Python and importing nbconvert a second time).

Usage: nbexec.py INPUT.ipynb OUTPUT.ipynb KERNEL_NAME CELL_TIMEOUT_SECONDS [HTML TEMPLATES]
Prints one JSON line: {"late_outputs": N}.
"""

import json
import os
import queue
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async, run_sync

LATE_TYPES = ("execute_result", "display_data", "stream", "error", "update_display_data")
SENTINEL = "// ledger: end of notebook (removed after execution)"


class LateOutputClient(NotebookClient):
    """nbclient's client, with late outputs routed to their cells."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.done_cells = {}
        self.late_outputs = 0

    def route_late(self, msg):
        parent = msg["parent_header"].get("msg_id")
        if parent not in self.done_cells or msg["msg_type"] not in LATE_TYPES:
            return
        cell, index = self.done_cells[parent]
        try:
            self.process_message(msg, cell, index)
        except CellExecutionComplete:
            pass
        self.late_outputs += 1

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    self.done_cells[parent_msg_id] = (cell, cell_index)
                    if cell.source == SENTINEL:
                        await self.drain()
                    return
            else:
                self.route_late(msg)

    async def drain(self, quiet_seconds=1.5):
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=quiet_seconds))
            except queue.Empty:
                return
            self.route_late(msg)


def export_html(nb, dst, html, templates):
    """Writes the notebook as HTML, named after the executed file as nbconvert names it."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TemplateExporter.extra_template_basedirs = [templates]
    exporter = HTMLExporter(config=config, template_name="offline")
    name = os.path.splitext(os.path.basename(dst))[0]
    resources = {"metadata": {"name": name, "path": os.path.dirname(os.path.abspath(dst))}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    with open(html, "w", encoding="utf-8") as f:
        f.write(body)


def main():
    src, dst, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    html, templates = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SENTINEL))
    client = LateOutputClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}},
    )
    client.execute()
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source == SENTINEL)]
    nbformat.write(nb, dst)
    if html:
        export_html(nbformat.read(dst, as_version=4), dst, html, templates)
    print(json.dumps({"late_outputs": client.late_outputs}))


if __name__ == "__main__":
    main()
