#!/usr/bin/python3
"""Writes the hostile ONNX models of tests/hostile/models/: tiny, valid protobuf, absurd arguments.

Run with Debian's /usr/bin/python3 (python3-onnx); the files are committed, so the test needs no Python.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")


def model(name, nodes, input_shape, initializers=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, name, [x], [y],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in initializers])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    save(m, os.path.join(HERE, name + ".onnx"))


big = 1 << 62
ones = [("w", np.ones((1, 1, 3, 3)))]
model("maxpool_stride_2_62", [helper.make_node("MaxPool", ["x"], ["y"], "pool", kernel_shape=[2, 2],
                                               strides=[big, big])], [1, 1, 16, 16])
model("conv_stride_2_62", [helper.make_node("Conv", ["x", "w"], ["y"], "conv", strides=[big, big])],
      [1, 1, 16, 16], ones)
model("conv_strides_1_1e6", [helper.make_node("Conv", ["x", "w"], ["y"], "conv", strides=[1, 1000000])],
      [1, 1, 16, 16], ones)
model("depth_to_space_2_62", [helper.make_node("DepthToSpace", ["x"], ["y"], "d2s", blocksize=big)],
      [1, 4, 8, 8])
model("averagepool_kernel_2_40", [helper.make_node("AveragePool", ["x"], ["y"], "avg", kernel_shape=[1 << 40] * 2,
                                                   strides=[1, 1], pads=[1 << 39] * 4)], [1, 1, 16, 16])
model("conv_transpose_stride_60000", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], "up",
                                                       strides=[60000, 60000])], [1, 1, 4, 4], ones)
model("add_one_input", [helper.make_node("Add", ["x"], ["y"], "add")], [1, 1, 4, 4])
model("resize_scales_1e9", [helper.make_node("Resize", ["x", "", "scales"], ["y"], "resize")], [1, 1, 4, 4],
      [("scales", [1, 1, 1e9, 1e9])])
model("conv_transpose_same_stride_2_62", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], "up", auto_pad="SAME_UPPER",
                                                           strides=[big, big])], [1, 1, 4, 4], ones)
model("conv_dilation_2_62", [helper.make_node("Conv", ["x", "w"], ["y"], "conv", dilations=[big, big])],
      [1, 1, 16, 16], ones)
