"""Let a model take letterboxed canvases as they are: uint8, NHWC, BGR, once, cached by hash.

An Ultralytics export wants float32 NCHW RGB in [0, 1]. Converting on the host costs a full
pass over the batch and sends 4x the bytes to a GPU. Here that conversion moves into the
graph: a new uint8 input ``(B, H, W, 3)`` feeds ``Cast -> Gather (BGR to RGB) -> Transpose
-> Div(255)``, whose output takes the old input's name.

When the input's only reader is a plain convolution (YOLOv8's stem), the channel flip and
the division are folded into that convolution's weights instead (a convolution is linear in
its input: flipping its input channels and scaling by 1/255 equals flipping and scaling its
weights), leaving ``Cast -> Transpose``. That matters on the CPU, where ONNX Runtime runs a
separate Gather and Div over the whole batch slower than NumPy does, but fuses a lone
NHWC->NCHW Transpose into the convolution's own layout change.

Where the Cast goes depends on the provider. On the CPU (and CUDA) the Transpose runs first,
on bytes, which measured about 7x cheaper than transposing floats at batch 4 and cheaper than
the NumPy conversion it replaces. TensorRT gets ``cast_first=True``: it takes uint8 only at a
network input feeding a Cast, and a uint8 Transpose ahead of its subgraph would leave the
subgraph's input (where the engine's optimisation profiles are named) off the graph input.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from camfleet.model.batch_rewrite import file_sha256, save_atomically
from camfleet.model.metadata import load_model_proto, real_graph_inputs

__all__ = ["UINT8_INPUT_NAME", "make_uint8_input", "rewrite_uint8_input"]

# Bump when the rewrite changes, so stale cache entries are not reused.
_REWRITE_VERSION = 1
UINT8_INPUT_NAME = "images_uint8_nhwc_bgr"
_PREFIX = "camfleet_uint8_"


def make_uint8_input(
    source: Path | str, cache_dir: Path | str, *, cast_first: bool = False
) -> Path:
    """Return a copy of ``source`` taking uint8 NHWC BGR input (from ``cache_dir`` when made).

    Keyed by the SHA-256 of ``source``'s bytes (and the node order) and written atomically,
    like the batch rewrite.
    """
    source, cache_dir = Path(source), Path(cache_dir)
    digest = file_sha256(source)
    variant = "uint8-nhwc-cast-first" if cast_first else "uint8-nhwc"
    target = cache_dir / f"{source.stem}.{variant}.v{_REWRITE_VERSION}.{digest[:16]}.onnx"
    if target.is_file():
        return target
    rewritten = rewrite_uint8_input(load_model_proto(source), cast_first=cast_first)
    save_atomically(rewritten, target, source.name, what="uint8-input copy")
    return target


def rewrite_uint8_input(model: onnx.ModelProto, *, cast_first: bool = False) -> onnx.ModelProto:
    """A copy of ``model`` (float NCHW RGB input) whose input is uint8 NHWC BGR in [0, 255];
    ``cast_first``: convert to float before transposing (for TensorRT)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    old = real_graph_inputs(graph)[0]
    dims = old.type.tensor_type.shape.dim
    float_type = old.type.tensor_type.elem_type

    new_input = helper.make_tensor_value_info(
        UINT8_INPUT_NAME,
        onnx.TensorProto.UINT8,
        [_dim(dims[0]), _dim(dims[2]), _dim(dims[3]), 3],
    )
    folded = _fold_into_stem(graph, old.name)
    converted = old.name if folded else f"{_PREFIX}nchw"

    def cast(source: str, target: str) -> onnx.NodeProto:
        return helper.make_node("Cast", [source], [target], to=float_type, name=f"{_PREFIX}cast")

    def to_nchw(source: str, target: str) -> onnx.NodeProto:
        return helper.make_node(
            "Transpose", [source], [target], perm=[0, 3, 1, 2], name=f"{_PREFIX}transpose"
        )

    if cast_first:
        nodes = [cast(UINT8_INPUT_NAME, f"{_PREFIX}nhwc"), to_nchw(f"{_PREFIX}nhwc", converted)]
    else:
        nodes = [to_nchw(UINT8_INPUT_NAME, f"{_PREFIX}u8"), cast(f"{_PREFIX}u8", converted)]
    if not folded:
        nodes += _flip_and_scale(graph, converted, old.name, float_type)
    # Prepend: nodes must stay in topological order.
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend([*nodes, *existing])
    graph.input.remove(old)
    graph.input.insert(0, new_input)
    return out


def _fold_into_stem(graph: onnx.GraphProto, input_name: str) -> bool:
    """Fold BGR->RGB and /255 into the weights of the one Conv reading ``input_name``;
    ``False`` (graph untouched) when the input has other readers or the Conv is grouped."""
    readers = [node for node in graph.node if input_name in node.input]
    if len(readers) != 1 or readers[0].op_type != "Conv" or readers[0].input[0] != input_name:
        return False
    conv = readers[0]
    if any(a.name == "group" and a.i != 1 for a in conv.attribute):
        return False
    weights = {init.name: init for init in graph.initializer}.get(conv.input[1])
    if weights is None or len(weights.dims) != 4 or weights.dims[1] != 3:
        return False
    kernel = numpy_helper.to_array(weights)
    folded = (kernel[:, ::-1] / kernel.dtype.type(255.0)).astype(kernel.dtype)
    name = f"{_PREFIX}{weights.name}_bgr_div255"
    graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(folded), name))
    conv.input[1] = name
    still_read = any(weights.name in node.input for node in graph.node)
    if not still_read and weights.name not in {value.name for value in graph.input}:
        graph.initializer.remove(weights)
    return True


def _flip_and_scale(
    graph: onnx.GraphProto, source: str, target: str, float_type: int
) -> list[onnx.NodeProto]:
    """Nodes turning NCHW BGR in [0, 255] (``source``) into RGB in [0, 1] (``target``)."""
    flip = numpy_helper.from_array(np.array([2, 1, 0], np.int64), f"{_PREFIX}bgr_to_rgb")
    scale = numpy_helper.from_array(
        np.array(255.0, helper.tensor_dtype_to_np_dtype(float_type)), f"{_PREFIX}255"
    )
    graph.initializer.extend([flip, scale])
    return [
        helper.make_node(
            "Gather", [source, flip.name], [f"{_PREFIX}rgb"], axis=1, name=f"{_PREFIX}flip"
        ),
        helper.make_node("Div", [f"{_PREFIX}rgb", scale.name], [target], name=f"{_PREFIX}scale"),
    ]


def _dim(dim: onnx.TensorShapeProto.Dimension) -> int | str | None:
    if dim.HasField("dim_value"):
        return int(dim.dim_value)
    return dim.dim_param or None
