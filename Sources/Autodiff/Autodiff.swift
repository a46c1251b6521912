// Placeholder: the Autodiff module (tensors, forward mode, tape, transforms).
