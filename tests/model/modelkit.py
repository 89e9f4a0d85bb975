"""Helpers for the model runtime tests: shared-model lookup, tiny synthetic YOLO-shaped graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

SHARED_MODELS = Path(__file__).resolve().parents[2] / ".." / "shared" / "models"
TEST_THREADS = 2


def shared_model(name: str) -> Path:
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"{name} is not in ../shared/models (the shared model folder is absent)")
    return path


def tiny_detect_model(
    *,
    batch: int | str = 1,
    names: str = "{0: 'a', 1: 'b'}",
    task: str = "detect",
    output_shape: tuple[int | str, ...] | None = None,
    allowzero: bool = False,
    shape_node: bool = False,
) -> onnx.ModelProto:
    """A 48-value YOLO-shaped graph: images (B, 3, 4, 4) -> output0 (B, 6, 8).

    Its head mimics a static export: a Reshape whose constant pins batch 1, plus a batch-free
    Reshape of a constant ``[1, -1]`` (like YOLOv8's anchor grid) added to every row, which
    a batch rewrite must leave alone. ``shape_node``: the head's shape comes from a
    ``Constant`` node instead of an initializer.
    """
    opset = 14 if allowzero else 13
    head_shape = [1, 6, 8] if allowzero else [1, 6, -1]
    grid = np.arange(8, dtype=np.float32)
    out_dims = output_shape if output_shape is not None else (batch, 6, 8)
    nodes = [
        helper.make_node(
            "Reshape",
            ["images", "head_shape"],
            ["head"],
            name="/head/Reshape",
            **({"allowzero": 1} if allowzero else {}),
        ),
        helper.make_node("Reshape", ["grid", "grid_shape"], ["grid_row"], name="/grid/Reshape"),
        helper.make_node("Add", ["head", "grid_row"], ["output0"], name="/head/Add"),
    ]
    initializers = [
        numpy_helper.from_array(np.array(head_shape, np.int64), "head_shape"),
        numpy_helper.from_array(np.array([1, -1], np.int64), "grid_shape"),
        numpy_helper.from_array(grid, "grid"),
    ]
    if shape_node:
        value = initializers.pop(0)
        nodes.insert(0, helper.make_node("Constant", [], ["head_shape"], value=value))
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [batch, 3, 4, 4])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out_dims))],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    helper.set_model_props(
        model,
        {"task": task, "names": names, "stride": "4", "imgsz": "[4, 4]", "batch": "1"},
    )
    onnx.checker.check_model(model)
    return model
