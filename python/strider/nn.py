"""torch.nn over numpy: the same class names, arguments (int, tuple, 'same' / 'valid'), state_dict keys
and repr. Leaf modules run in C++; Module and Sequential compose them in Python, as in PyTorch:

    class Net(strider.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = strider.nn.Sequential(strider.nn.Conv2d(3, 16, 3, padding=1), strider.nn.ReLU())
        def forward(self, x):
            return self.body(x)

    net = Net()
    net.load_state_dict("net.safetensors")   # or a dict of numpy arrays, e.g. from torch's state_dict()

Inputs are float32 numpy arrays [N, C, H, W] or [C, H, W] (a C-contiguous float32 array is not copied;
any other array is converted); results are new float32 arrays that own Strider's buffer.
"""
import os
import numbers

import numpy as np

from . import _strider

_impl = _strider.nn
_INT64_MAX = 2**63 - 1


def _int(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise _strider.InputTypeError(f"{name} must be an int, but got {value!r}")
    if not -_INT64_MAX <= int(value) <= _INT64_MAX:
        raise ValueError(f"{name} must fit in 64 bits, but got {value}")
    return int(value)


def _pair(value, name):
    """An int, or a tuple / list of two ints, as torch.nn.modules.utils._pair takes it."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, but got {value!r}")
        return (_int(value[0], name), _int(value[1], name))
    value = _int(value, name)
    return (value, value)


def _optional_pair(value, name):
    return None if value is None else _pair(value, name)


def _float_or_pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a number or a pair of numbers, but got {value!r}")
        return (float(value[0]), float(value[1]))
    return float(value)


def _shape(array):
    return "[" + ", ".join(str(d) for d in np.shape(array)) + "]"


class Module:
    """torch.nn.Module: assigning a Module to an attribute registers it as a child by that name."""

    def __init__(self):
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name, value):
        if isinstance(value, Module):
            if "_modules" not in self.__dict__:
                raise AttributeError("cannot assign a module before Module.__init__() is called")
            self._modules[name] = value
        elif "_modules" in self.__dict__:
            self._modules.pop(name, None)
        object.__setattr__(self, name, value)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return iter(self._modules.values())

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def eval(self):
        return self  # Strider runs inference only

    def extra_repr(self):
        return ""

    def __repr__(self):
        # torch.nn.Module.__repr__: extra_repr, then the children, each indented by two spaces.
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, child in self._modules.items():
            lines.append(f"({name}): " + repr(child).replace("\n", "\n  "))
        name = type(self).__name__
        if not lines:
            return f"{name}()"
        if len(lines) == 1 and not self._modules:
            return f"{name}({lines[0]})"
        return f"{name}(" + "".join("\n  " + line for line in lines) + "\n)"

    def _leaves(self):
        """(dotted prefix, leaf) for every C++ leaf module below this one."""
        for name, module in self.named_modules():
            if isinstance(module, _Leaf):
                yield (name + "." if name else ""), module

    def state_dict(self):
        """Dotted names -> float32 copies of the parameters and buffers, in PyTorch's order."""
        out = {}
        for prefix, leaf in self._leaves():
            for key, value in leaf._impl.state_dict().items():
                out[prefix + key] = value
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Loads a .safetensors file (a path) or a dict of arrays (numpy, or anything np.asarray takes)
        by PyTorch's names. strict: missing and unexpected keys are errors. Shape mismatches are always.
        Every problem is reported in one ValueError, in PyTorch's wording, and nothing is loaded then.
        Returns (missing_keys, unexpected_keys)."""
        if isinstance(state_dict, (str, os.PathLike)):
            state_dict, unsupported = _impl.load_safetensors(os.fspath(state_dict))
        else:
            unsupported = {}
        state = dict(state_dict)
        missing, errors, used, ignored = [], [], set(), set()
        per_leaf = []
        for prefix, leaf in self._leaves():
            entries = {}
            for key, current in leaf._impl.state_dict().items():
                full = prefix + key
                used.add(full)
                if full in state:
                    entries[key] = value = np.asarray(state[full])
                    if value.dtype.kind not in "fiub":
                        errors.append(f"unsupported tensor for {full}: dtype {value.dtype} is not a real number type.")
                    elif value.shape != current.shape:
                        errors.append(f"size mismatch for {full}: copying a param with shape {_shape(value)} "
                                      f"from checkpoint, the shape in current model is {_shape(current)}.")
                elif full in unsupported:
                    errors.append(f"unsupported tensor for {full}: {unsupported[full]}.")
                else:
                    missing.append(full)
            ignored.update(prefix + key for key in leaf._ignored_state)
            per_leaf.append((leaf, entries))
        unexpected = sorted(k for k in list(state) + list(unsupported) if k not in used and k not in ignored)
        head = []
        if strict and missing:
            head.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            head.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
        if head or errors:
            raise ValueError(f"Error(s) in loading state_dict for {type(self).__name__}:" +
                             "".join("\n\t" + e for e in head + errors))
        for leaf, entries in per_leaf:
            if entries:
                leaf._impl.load_state_dict(entries, strict=False)
        return missing, unexpected


class Sequential(Module):
    """torch.nn.Sequential: children named "0", "1", ..., each fed the previous one's output."""

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise _strider.InputTypeError(f"Sequential: argument {index} is not a strider.nn.Module, but "
                                              f"{type(module).__name__}")
            setattr(self, str(index), module)

    def __len__(self):
        return len(self._modules)

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        setattr(self, str(len(self)), module)
        return self

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x


class _Leaf(Module):
    """A module computed by one C++ nn:: module (self._impl)."""

    _ignored_state = ()

    def __init__(self, impl):
        super().__init__()
        object.__setattr__(self, "_impl", impl)

    def forward(self, x):
        return self._impl.forward(x)

    def __repr__(self):
        return repr(self._impl)

    def _get(self, name):
        return self._impl.state_dict().get(name)

    def _set(self, name, value):
        if name not in self._impl.state_dict():
            raise ValueError(f"{type(self).__name__}: has no {name} (it was built without it)")
        self._impl.load_state_dict({name: value}, strict=False)


def _state_property(name, doc):
    """A parameter as a float32 numpy array: reading gives a read-only copy, assigning an array (of the
    same shape, any real dtype) replaces it."""
    def get(self):
        value = self._get(name)
        if value is not None:
            value.flags.writeable = False  # a copy: writing into it would change nothing
        return value
    return property(get, lambda self, value: self._set(name, value), doc=doc)


class Conv2d(_Leaf):
    weight = _state_property("weight", "[out_channels, in_channels / groups, kH, kW]")
    bias = _state_property("bias", "[out_channels], or None when bias=False")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        padding = padding if isinstance(padding, str) else _pair(padding, "Conv2d: padding")
        super().__init__(_impl.conv2d(_int(in_channels, "Conv2d: in_channels"),
                                      _int(out_channels, "Conv2d: out_channels"),
                                      _pair(kernel_size, "Conv2d: kernel_size"), _pair(stride, "Conv2d: stride"),
                                      padding, _pair(dilation, "Conv2d: dilation"), _int(groups, "Conv2d: groups"),
                                      bool(bias), str(padding_mode)))


class ConvTranspose2d(_Leaf):
    weight = _state_property("weight", "[in_channels, out_channels / groups, kH, kW]")
    bias = _state_property("bias", "[out_channels], or None when bias=False")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        n = "ConvTranspose2d: "
        super().__init__(_impl.conv_transpose2d(
            _int(in_channels, n + "in_channels"), _int(out_channels, n + "out_channels"),
            _pair(kernel_size, n + "kernel_size"), _pair(stride, n + "stride"), _pair(padding, n + "padding"),
            _pair(output_padding, n + "output_padding"), _int(groups, n + "groups"), bool(bias),
            _pair(dilation, n + "dilation"), str(padding_mode)))

    def forward(self, x, output_size=None):
        if output_size is None:
            return self._impl.forward(x)
        return self._impl.forward_output_size(x, [_int(d, "ConvTranspose2d: output_size") for d in output_size])


class MaxPool2d(_Leaf):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        n = "MaxPool2d: "
        super().__init__(_impl.max_pool2d(_pair(kernel_size, n + "kernel_size"), _optional_pair(stride, n + "stride"),
                                          _pair(padding, n + "padding"), _pair(dilation, n + "dilation"),
                                          bool(return_indices), bool(ceil_mode)))
        object.__setattr__(self, "return_indices", bool(return_indices))
        # torch prints the pools' arguments as they were given (an int stays an int, a list a list).
        stride = kernel_size if stride is None else stride
        object.__setattr__(self, "_repr", f"MaxPool2d(kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                                          f"dilation={dilation}, ceil_mode={bool(ceil_mode)})")

    def __repr__(self):
        return self._repr

    def forward(self, x):
        """The output, or (output, indices) with return_indices: int64 h·W + w in each input plane."""
        return self._impl.forward_with_indices(x) if self.return_indices else self._impl.forward(x)


class AvgPool2d(_Leaf):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        n = "AvgPool2d: "
        super().__init__(_impl.avg_pool2d(
            _pair(kernel_size, n + "kernel_size"), _optional_pair(stride, n + "stride"), _pair(padding, n + "padding"),
            bool(ceil_mode), bool(count_include_pad),
            None if divisor_override is None else _int(divisor_override, n + "divisor_override")))
        object.__setattr__(self, "_repr", f"AvgPool2d(kernel_size={kernel_size}, "
                                          f"stride={kernel_size if stride is None else stride}, padding={padding})")

    def __repr__(self):
        return self._repr


class BatchNorm2d(_Leaf):
    """Eval mode: running statistics. num_batches_tracked is accepted and ignored by load_state_dict."""

    _ignored_state = ("num_batches_tracked",)
    weight = _state_property("weight", "[num_features], or None when affine=False")
    bias = _state_property("bias", "[num_features], or None when affine=False")
    running_mean = _state_property("running_mean", "[num_features]")
    running_var = _state_property("running_var", "[num_features]")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None):
        super().__init__(_impl.batch_norm2d(_int(num_features, "BatchNorm2d: num_features"), float(eps),
                                            None if momentum is None else float(momentum), bool(affine),
                                            bool(track_running_stats)))


class Upsample(_Leaf):
    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        if size is not None:
            size = _pair(size, "Upsample: size") if isinstance(size, (tuple, list)) else _int(size, "Upsample: size")
        if scale_factor is not None:
            scale_factor = _float_or_pair(scale_factor, "Upsample: scale_factor")
        super().__init__(_impl.upsample(size, scale_factor, str(mode),
                                        None if align_corners is None else bool(align_corners),
                                        None if recompute_scale_factor is None else bool(recompute_scale_factor)))


class PixelShuffle(_Leaf):
    def __init__(self, upscale_factor):
        super().__init__(_impl.pixel_shuffle(_int(upscale_factor, "PixelShuffle: upscale_factor")))


class PixelUnshuffle(_Leaf):
    def __init__(self, downscale_factor):
        super().__init__(_impl.pixel_unshuffle(_int(downscale_factor, "PixelUnshuffle: downscale_factor")))


class ReLU(_Leaf):
    def __init__(self, inplace=False):
        super().__init__(_impl.relu())


class LeakyReLU(_Leaf):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(_impl.leaky_relu(float(negative_slope)))


class PReLU(_Leaf):
    weight = _state_property("weight", "[num_parameters]")

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__(_impl.prelu(_int(num_parameters, "PReLU: num_parameters"), float(init)))


class Sigmoid(_Leaf):
    def __init__(self):
        super().__init__(_impl.sigmoid())


class Tanh(_Leaf):
    def __init__(self):
        super().__init__(_impl.tanh())


class SiLU(_Leaf):
    def __init__(self, inplace=False):
        super().__init__(_impl.silu())


class GELU(_Leaf):
    def __init__(self, approximate="none"):
        super().__init__(_impl.gelu(str(approximate)))


class Hardtanh(_Leaf):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__(_impl.hardtanh(float(min_val), float(max_val)))


class ReLU6(_Leaf):
    def __init__(self, inplace=False):
        super().__init__(_impl.relu6())


class Dropout(_Leaf):
    """Identity at inference (eval mode)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__(_impl.dropout(float(p)))


class Identity(_Leaf):
    def __init__(self, *args, **kwargs):
        super().__init__(_impl.identity())
