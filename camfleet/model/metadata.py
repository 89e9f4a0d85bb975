"""What an Ultralytics YOLOv8 detection export declares about itself, read without a session.

Ultralytics writes ``task``, ``names`` (a Python-literal dict), ``imgsz`` and ``stride`` into
the ONNX ``metadata_props``. Together with the graph's single input ``(B, 3, H, W)`` and single
output ``(B, 4 + nc, anchors)`` they are all the runtime needs to letterbox and decode.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

from camfleet.errors import ModelError

__all__ = ["ModelInfo", "inspect_model", "load_model_proto", "model_info_from_proto"]

_EXPORT_HINT = "pass a YOLOv8 detection model exported with Ultralytics `format=onnx`"
_FLOAT_TYPES = frozenset(
    {
        onnx.TensorProto.FLOAT,
        onnx.TensorProto.FLOAT16,
        onnx.TensorProto.BFLOAT16,
        onnx.TensorProto.DOUBLE,
    }
)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A YOLOv8 detection model's declared interface.

    ``imgsz`` is ``(height, width)``: the fixed input size of a static-H/W model, or the
    target size a dynamic-H/W model was exported for. ``path`` is the file a session loads;
    when camfleet made a static-batch export batch-dynamic, ``rewritten_from`` is the
    original file and ``path`` the rewritten copy in the cache.
    """

    path: Path
    task: str
    names: dict[int, str]
    imgsz: tuple[int, int]
    stride: int
    dynamic_batch: bool
    dynamic_hw: bool
    input_name: str
    output_name: str
    num_classes: int
    params: int
    opset: int
    producer: str
    rewritten_from: Path | None = None

    @property
    def source(self) -> Path:
        """The file the user named (the original, when ``path`` is a rewritten copy)."""
        return self.rewritten_from or self.path


def load_model_proto(path: Path) -> onnx.ModelProto:
    """Parse an ONNX file (weights included), translating failures into :class:`ModelError`."""
    if not path.is_file():
        raise ModelError(f"{path}: no such model file; {_EXPORT_HINT}")
    try:
        model = onnx.load(str(path))
    except (DecodeError, RuntimeError, ValueError, OSError) as exc:
        raise ModelError(
            f"{path.name}: not an ONNX file (protobuf parse failed: {_first_line(exc)}); "
            f"{_EXPORT_HINT}"
        ) from exc
    if not model.graph.node or not model.graph.input:
        raise ModelError(f"{path.name}: not an ONNX model (empty graph); {_EXPORT_HINT}")
    return model


def inspect_model(path: Path | str) -> ModelInfo:
    """Read and validate a YOLOv8 detection model's metadata and tensor layout."""
    path = Path(path)
    return model_info_from_proto(load_model_proto(path), path)


def model_info_from_proto(model: onnx.ModelProto, path: Path) -> ModelInfo:
    """Validate ``model`` as a YOLOv8 detection export and describe it."""
    meta = {prop.key: prop.value for prop in model.metadata_props}
    missing = [key for key in ("task", "names", "stride") if key not in meta]
    if missing:
        raise ModelError(
            f"{path.name}: no Ultralytics metadata ({', '.join(missing)} missing from "
            f"metadata_props); {_EXPORT_HINT}"
        )
    task = meta["task"]
    if task != "detect":
        raise ModelError(
            f"{path.name}: is a '{task}' model, camfleet runs 'detect' models only; {_EXPORT_HINT}"
        )
    names = _parse_names(meta["names"], path)
    stride = _parse_int(meta["stride"], "stride", path)

    inputs = real_graph_inputs(model.graph)
    if len(inputs) != 1 or len(model.graph.output) != 1:
        raise ModelError(
            f"{path.name}: has {len(inputs)} inputs and {len(model.graph.output)} outputs, "
            f"expected one input (B, 3, H, W) and one output (B, 4+nc, anchors); {_EXPORT_HINT}"
        )
    input_value, output_value = inputs[0], model.graph.output[0]
    in_dims = _dims(input_value)
    out_dims = _dims(output_value)
    if len(in_dims) != 4 or in_dims[1] != 3:
        raise ModelError(
            f"{path.name}: input '{input_value.name}' has shape {_shape_text(in_dims)}, "
            f"expected (B, 3, H, W); {_EXPORT_HINT}"
        )
    _check_output_layout(out_dims, len(names), output_value.name, path)

    dynamic_hw = not (isinstance(in_dims[2], int) and isinstance(in_dims[3], int))
    imgsz = _declared_imgsz(meta, path) if dynamic_hw else (int(in_dims[2]), int(in_dims[3]))
    return ModelInfo(
        path=path,
        task=task,
        names=names,
        imgsz=imgsz,
        stride=stride,
        dynamic_batch=not isinstance(in_dims[0], int),
        dynamic_hw=dynamic_hw,
        input_name=input_value.name,
        output_name=output_value.name,
        num_classes=len(names),
        params=_count_params(model.graph),
        opset=_default_opset(model),
        producer=f"{model.producer_name} {model.producer_version}".strip() or "unknown",
    )


def real_graph_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are fed at run time (old IRs also list initializers as inputs)."""
    initializers = {init.name for init in graph.initializer}
    return [value for value in graph.input if value.name not in initializers]


def _dims(value: onnx.ValueInfoProto) -> list[int | str]:
    """Each dimension as its size, or its symbolic name ("?" when it has neither)."""
    return [
        dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or "?")
        for dim in value.type.tensor_type.shape.dim
    ]


def _shape_text(dims: list[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _check_output_layout(dims: list[int | str], nc: int, name: str, path: Path) -> None:
    if len(dims) == 3 and dims[1] == 4 + nc:
        return
    expected = f"(B, {4 + nc}, anchors) for {nc} classes"
    if len(dims) == 3 and dims[2] == 4 + nc:
        why = f"is transposed {_shape_text(dims)}, expected {expected}"
    else:
        why = f"has shape {_shape_text(dims)}, expected {expected}"
    raise ModelError(f"{path.name}: output '{name}' {why}; {_EXPORT_HINT} and nms=False")


def _parse_names(text: str, path: Path) -> dict[int, str]:
    try:
        names = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ModelError(
            f"{path.name}: metadata 'names' is not a Python dict literal ({text[:60]!r}); "
            f"{_EXPORT_HINT}"
        ) from exc
    if (
        not isinstance(names, dict)
        or not names
        or sorted(names) != list(range(len(names)))
        or not all(isinstance(v, str) for v in names.values())
    ):
        raise ModelError(
            f"{path.name}: metadata 'names' must map class ids 0..n-1 to names, got "
            f"{text[:60]!r}; {_EXPORT_HINT}"
        )
    return {int(k): str(v) for k, v in sorted(names.items())}


def _parse_int(text: str, key: str, path: Path) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise ModelError(
            f"{path.name}: metadata '{key}' is not an integer ({text!r}); {_EXPORT_HINT}"
        ) from exc
    if value <= 0:
        raise ModelError(f"{path.name}: metadata '{key}' must be positive, got {value}")
    return value


def _declared_imgsz(meta: dict[str, str], path: Path) -> tuple[int, int]:
    text = meta.get("imgsz", "[640, 640]")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ModelError(
            f"{path.name}: metadata 'imgsz' is not a literal ({text!r}); {_EXPORT_HINT}"
        ) from exc
    if isinstance(value, int):
        return value, value
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int) and v > 0 for v in value)
    ):
        return int(value[0]), int(value[1])
    raise ModelError(f"{path.name}: metadata 'imgsz' must be [h, w] or an int, got {text!r}")


def _count_params(graph: onnx.GraphProto) -> int:
    return sum(
        int(np.prod(init.dims, dtype=np.int64))
        for init in graph.initializer
        if init.data_type in _FLOAT_TYPES
    )


def _default_opset(model: onnx.ModelProto) -> int:
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            return int(opset.version)
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
