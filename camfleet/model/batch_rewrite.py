"""Make a static batch-1 ONNX export accept any batch size, once, cached by content hash.

A static export pins the batch twice: in the declared input/output shapes, and in the shape
constants of ``Reshape`` nodes (YOLOv8's head reshapes to ``[1, 66, -1]``, ``[1, 4, 16, 8400]``
...). Marking the batch axes symbolic is not enough; each such constant must stop saying 1.

Which Reshapes carry the batch is found by shape inference rather than by node names: with
the input's batch axis symbolic, a Reshape whose data input has a non-constant first axis
carries the batch, and its constant's leading ``1`` becomes ``0`` ("copy that axis from the
input"), which keeps the batch symbolic downstream so the next Reshape is found on the next
pass. Constants that only reshape batch-free tensors (anchor grids) are left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from camfleet.errors import ModelError
from camfleet.model.metadata import load_model_proto, real_graph_inputs

__all__ = ["file_sha256", "make_batch_dynamic", "rewrite_batch_dynamic", "save_atomically"]

# Bump when the rewrite changes, so stale cache entries are not reused.
_REWRITE_VERSION = 1
_BATCH_SYMBOL = "batch"
_REEXPORT_HINT = "re-export it with Ultralytics `format=onnx dynamic=True`"


def make_batch_dynamic(source: Path | str, cache_dir: Path | str) -> Path:
    """Return a batch-dynamic copy of ``source`` (from ``cache_dir`` when already made).

    A model whose batch axis is already symbolic is returned as is. The copy is keyed by the
    SHA-256 of the source file's bytes and written atomically, so concurrent workers that
    load the same model at once never see a half-written file.
    """
    source, cache_dir = Path(source), Path(cache_dir)
    model = load_model_proto(source)
    if not _has_static_batch(model):
        return source
    digest = file_sha256(source)
    target = cache_dir / f"{source.stem}.batch-dynamic.v{_REWRITE_VERSION}.{digest[:16]}.onnx"
    if target.is_file():
        return target
    rewritten = rewrite_batch_dynamic(model, source.name)
    save_atomically(rewritten, target, source.name, what="batch-dynamic copy")
    return target


def rewrite_batch_dynamic(model: onnx.ModelProto, name: str = "model") -> onnx.ModelProto:
    """A copy of ``model`` whose batch axis is symbolic; ``name`` labels errors."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inputs = real_graph_inputs(graph)
    static_batch = inputs[0].type.tensor_type.shape.dim[0].dim_value
    for value in (*inputs, *graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = _BATCH_SYMBOL
    # Intermediate shapes recorded at export pin batch 1; let the runtime infer them again.
    del graph.value_info[:]

    constants = _shape_constants(graph)
    replaced: set[str] = set()
    while True:
        inferred = _infer_shapes(out, name)
        leading = _leading_dims(inferred.graph)
        changed = False
        for node in graph.node:
            if node.op_type != "Reshape" or len(node.input) < 2:
                continue
            shape_name = node.input[1]
            shape = constants.get(shape_name)
            if shape is None or shape.size == 0 or shape[0] != static_batch:
                continue
            if leading.get(node.input[0], static_batch) == static_batch:
                continue  # a batch-free tensor (or unknown): its leading 1 is not the batch
            node.input[1] = _add_batch_free_constant(graph, constants, shape_name, node, name)
            replaced.add(shape_name)
            changed = True
        if not changed:
            break
    _drop_unread_initializers(graph, replaced)

    output_dim = inferred.graph.output[0].type.tensor_type.shape.dim[0]
    if output_dim.HasField("dim_value"):
        raise ModelError(
            f"{name}: cannot make the batch axis dynamic (output '{graph.output[0].name}' "
            f"still has batch {output_dim.dim_value} after rewriting its Reshapes); "
            f"{_REEXPORT_HINT}"
        )
    return out


def _has_static_batch(model: onnx.ModelProto) -> bool:
    inputs = real_graph_inputs(model.graph)
    dims = inputs[0].type.tensor_type.shape.dim if inputs else []
    return bool(dims) and dims[0].HasField("dim_value")


def _shape_constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """Integer 1-D tensors known at load time: initializers and ``Constant`` node outputs."""
    found: dict[str, np.ndarray] = {}
    for init in graph.initializer:
        if init.data_type == onnx.TensorProto.INT64 and len(init.dims) == 1:
            found[init.name] = numpy_helper.to_array(init)
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            tensor = node.attribute[0].t
            if tensor.data_type == onnx.TensorProto.INT64 and len(tensor.dims) == 1:
                found[node.output[0]] = numpy_helper.to_array(tensor)
    return found


def _add_batch_free_constant(
    graph: onnx.GraphProto,
    constants: dict[str, np.ndarray],
    shape_name: str,
    node: onnx.NodeProto,
    name: str,
) -> str:
    """Add (once) a copy of constant ``shape_name`` whose leading axis no longer pins the batch.

    A new initializer is added instead of editing the old one in place, which other nodes
    may still read with its original meaning.
    """
    shape = constants[shape_name]
    allow_zero = any(a.name == "allowzero" and a.i == 1 for a in node.attribute)
    if not allow_zero:
        leading = 0  # copy the batch from the data input
    elif -1 not in shape[1:]:
        leading = -1  # with allowzero, 0 means a literal 0; infer the batch instead
    else:
        raise ModelError(
            f"{name}: cannot make Reshape '{node.name}' batch-dynamic (allowzero=1 and its "
            f"shape {shape.tolist()} already infers an axis); {_REEXPORT_HINT}"
        )
    new_name = f"{shape_name}__camfleet_batch{'_infer' if leading == -1 else ''}"
    if new_name not in constants:
        new_shape = shape.copy()
        new_shape[0] = leading
        graph.initializer.append(numpy_helper.from_array(new_shape, new_name))
        constants[new_name] = new_shape
    return new_name


def _drop_unread_initializers(graph: onnx.GraphProto, candidates: set[str]) -> None:
    read = {name for node in graph.node for name in node.input}
    unread = [init for init in graph.initializer if init.name in candidates - read]
    for init in unread:
        graph.initializer.remove(init)


def _infer_shapes(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    try:
        return onnx.shape_inference.infer_shapes(model)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        raise ModelError(
            f"{name}: ONNX shape inference failed while making the batch dynamic "
            f"({str(exc).splitlines()[0]}); {_REEXPORT_HINT}"
        ) from exc


def _leading_dims(graph: onnx.GraphProto) -> dict[str, int | None]:
    """First-axis size of every tensor with a known rank (``None`` when symbolic)."""
    leading: dict[str, int | None] = {}
    for value in (*graph.input, *graph.value_info, *graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            leading[value.name] = dims[0].dim_value if dims[0].HasField("dim_value") else None
    return leading


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, in hex: the cache key of every rewritten copy."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def save_atomically(model: onnx.ModelProto, target: Path, name: str, what: str) -> None:
    """Write ``model`` to ``target`` via a temporary file, so readers never see half of it;
    ``what`` names the copy in errors."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise ModelError(
            f"{name}: cannot write the {what} to {target.parent} ({exc.strerror}); "
            f"pass a writable cache_dir"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(model.SerializeToString())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ModelError(
            f"{name}: cannot write the {what} to {target} ({exc.strerror}); "
            f"pass a writable cache_dir with free space"
        ) from exc
