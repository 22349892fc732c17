"""A thin scikit-learn classifier around a skorch-trained torch network.

:class:`BaseSpectrumClassifier` holds everything that is common to the neural
spectrum classifiers of sklearn-stellar (training loop, early stopping on a
stratified split, device choice, determinism, batched inference, pickling);
a concrete classifier only says how its torch module is built and how X is
turned into the tensor the module reads.
"""

from __future__ import annotations

import copy
import logging
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import check_named_targets, validate_named_data
from ._checks import check_trained_module
from ._device import PRECISIONS, DeviceBatches, autocast, fits_on_device, to_device

__all__ = ["BaseSpectrumClassifier", "resolve_device"]

logger = logging.getLogger(__name__)


def resolve_device(device: str) -> str:
    """Return the torch device string that ``device`` stands for.

    ``"auto"`` means ``"cuda"`` when :func:`torch.cuda.is_available` and
    ``"cpu"`` otherwise; any other string is returned unchanged after checking
    that torch understands it.

    Examples
    --------
    >>> from sklearn_stellar.neural._base import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"`device` must be 'auto' or a torch device string such as 'cpu' or "
            f"'cuda:0', got {device!r}."
        ) from None
    return device


def _training_net_class():
    """skorch's NeuralNet with the estimator's augmentation hook in training."""
    from skorch import NeuralNet
    from skorch.dataset import unpack_data

    class _AugmentingNet(NeuralNet):
        # Set by the estimator: ``augment_`` is a callable (X_batch) -> X_batch
        # that only runs in train steps, never in validation or inference;
        # ``precision_`` is "float32" or "bf16"; ``batch_generator_`` seeds
        # the shuffling of device-resident batches.
        augment_ = None
        precision_ = "float32"
        batch_generator_ = None

        def train_step_single(self, batch, **fit_params):
            self._set_training(True)
            Xi, yi = unpack_data(batch)
            if self.augment_ is not None:
                Xi = self.augment_(Xi)
            y_pred = self.infer(Xi, **fit_params)
            loss = self.get_loss(y_pred, yi, X=Xi, training=True)
            loss.backward()
            return {"loss": loss, "y_pred": y_pred}

        def infer(self, x, **fit_params):
            # Forward pass in the chosen precision; logits and loss in float32.
            with autocast(str(self.device), self.precision_):
                return super().infer(x, **fit_params).float()

        def get_iterator(self, dataset, training=False):
            # On CUDA a training set that fits is copied to the device once
            # and sliced there, instead of a per-batch numpy -> tensor loop.
            X, y = getattr(dataset, "X", None), getattr(dataset, "y", None)
            if (
                isinstance(X, np.ndarray)
                and isinstance(y, np.ndarray)
                and fits_on_device(X.nbytes + y.nbytes, str(self.device))
            ):
                return DeviceBatches(
                    X,
                    y,
                    self.batch_size,
                    device=str(self.device),
                    shuffle=training,
                    generator=self.batch_generator_,
                )
            return super().get_iterator(dataset, training=training)

    return _AugmentingNet


def _recalibrate_batchnorm(module, X, device, batch_size):
    """Recompute BatchNorm running statistics on the final weights.

    BatchNorm keeps exponential moving averages of the batch statistics seen
    while the weights were still changing; after few optimisation steps they
    lag far behind the final network and evaluation-mode predictions are
    wrong. One extra forward pass over the training rows with cumulative
    averaging (``momentum=None``) gives the statistics of the final weights
    ("precise BN", Wu & Johnson 2021). Returns the module in eval mode.
    """
    norms = [
        m
        for m in module.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    if not norms:
        return module.eval()
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    module.train()
    # Batches of at least 2 rows: BatchNorm cannot take train-mode statistics
    # of a single row with a single position.
    step = max(int(batch_size), 2)
    with torch.no_grad():
        for start in range(0, X.shape[0], step):
            module(torch.from_numpy(X[start : start + step]).to(device))
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    return module.eval()


class BaseSpectrumClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the skorch-trained spectrum classifiers.

    The estimator is an ordinary scikit-learn classifier: the constructor only
    stores parameters, ``fit`` validates X and y, encodes any labels (strings
    too) to ``0..n_classes-1``, builds the torch module through a subclass
    hook, trains it with :class:`skorch.NeuralNet` (cross-entropy, Adam) and
    keeps the trained module in ``module_``. ``predict_proba`` runs the module
    in evaluation mode under :func:`torch.inference_mode`, ``batch_size`` rows
    at a time, so memory stays bounded for any number of spectra.

    Training details common to every subclass:

    - early stopping: when ``validation_fraction`` is a float, a stratified
      validation split of that size is taken from the training data (rows
      that are exact duplicates, e.g. made by a RandomOverSampler, stay on the
      same side of the split so copies of a training row never validate it).
      Training stops after ``patience`` epochs without a lower validation
      loss and the weights of the best epoch are restored. With
      ``validation_fraction=None`` all rows train for ``max_epochs`` epochs.
      skorch's own silent 20 % split is never used.
    - determinism: ``random_state`` seeds the weight initialisation, dropout,
      the validation split, the mini-batch shuffling and the augmentation
      hook, inside :func:`torch.random.fork_rng`, so the global torch RNG is
      left untouched. On CPU two fits with the same integer ``random_state``
      give identical probabilities.
    - pickling: the fitted state is the torch module (moved to CPU when
      pickled), ``classes_``, ``n_features_in_`` and ``history_``; pickle and
      :func:`sklearn.base.clone` round trips work.

    **How to subclass.**

    1. Write an ``__init__`` with keyword-only arguments listing the network
       hyper-parameters of the subclass *and* every parameter of the base
       (``max_epochs, batch_size, lr, validation_fraction, patience, device,
       random_state, verbose``), assigning each to an attribute of the same
       name and doing nothing else (scikit-learn reads the signature for
       ``get_params``/``set_params``/``clone``; GridSearchCV can then tune the
       network hyper-parameters directly).
    2. Extend ``_parameter_constraints``:
       ``{**BaseSpectrumClassifier._parameter_constraints, "n_filters": [...]}``.
    3. Implement ``_build_module(self, n_features, n_classes)`` returning a
       :class:`torch.nn.Module` that maps a float32 batch as produced by
       ``_prepare_X`` to logits of shape ``(batch, n_classes)`` (no softmax:
       the loss is :class:`torch.nn.CrossEntropyLoss`).
    4. Optionally override ``_prepare_X(self, X)`` (X is the validated 2-D
       float32/float64 array; return a fresh float32 array, e.g. with a
       channel axis and NaN pixels replaced) and set the class attribute
       ``_allow_nan = True`` when ``_prepare_X`` handles NaN (inf is always
       rejected). The default returns ``X`` as float32 and rejects NaN.
    5. Optionally override ``_augment(self, X, generator)``: called on every
       training mini-batch (a float32 tensor on the training device, after
       ``_prepare_X``) with a seeded :class:`torch.Generator` (CPU); return the
       augmented batch. Never called on validation batches or in prediction.

    Parameters
    ----------
    max_epochs : int, default=100
        Maximum number of passes over the training rows.
    batch_size : int, default=64
        Mini-batch size for training; also the number of rows per inference
        batch in ``predict_proba``.
    lr : float, default=1e-4
        Adam learning rate.
    validation_fraction : float or None, default=0.1
        Fraction of the training rows held out (stratified) to monitor the
        validation loss for early stopping; None disables early stopping.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping.
    device : str, default="auto"
        Torch device; "auto" picks CUDA when available, else CPU. On CUDA a
        training set that takes at most a quarter of the free device memory
        is copied there once and mini-batches are sliced on the device;
        prediction moves pinned chunks of ``max(batch_size,
        _device_predict_batch)`` rows.
    precision : {"float32", "bf16"}, default="float32"
        Precision of the forward pass: "bf16" runs it under
        :func:`torch.autocast` with bfloat16 (weights, optimiser state, loss
        and the returned probabilities stay float32). Meant for GPUs with
        bfloat16 units; on CPUs without them it is slow.
    random_state : int, RandomState instance or None, default=None
        Seed of everything random in ``fit``.
    verbose : int, default=0
        Print skorch's per-epoch log when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen in ``fit``, sorted.
    n_features_in_ : int
        Number of columns (pixels) of X seen in ``fit``.
    module_ : torch.nn.Module
        The trained network (best validation epoch when early stopping).
    history_ : list of dict
        Per-epoch training log (``train_loss``, ``valid_loss``, ...).
    n_epochs_ : int
        Number of epochs run.
    best_epoch_ : int
        1-based epoch whose weights ``module_`` holds.
    device_ : str
        Device the module was trained on.

    Examples
    --------
    A minimal subclass (a linear model) shows the hooks:

    >>> import torch
    >>> from sklearn_stellar.neural._base import BaseSpectrumClassifier
    >>> class Linear(BaseSpectrumClassifier):
    ...     def __init__(self, *, max_epochs=20, batch_size=16, lr=0.05,
    ...                  validation_fraction=None, patience=5, device="auto",
    ...                  random_state=None, verbose=0):
    ...         super().__init__(max_epochs=max_epochs, batch_size=batch_size, lr=lr,
    ...                          validation_fraction=validation_fraction,
    ...                          patience=patience, device=device,
    ...                          random_state=random_state, verbose=verbose)
    ...     def _build_module(self, n_features, n_classes):
    ...         return torch.nn.Linear(n_features, n_classes)
    >>> import numpy as np
    >>> X = np.r_[np.zeros((20, 3)), np.ones((20, 3))]
    >>> y = np.r_[["single"] * 20, ["binary"] * 20]
    >>> clf = Linear(random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['binary', 'single']
    >>> clf.predict([[1.0, 1.0, 1.0]]).tolist()
    ['binary']
    """

    _allow_nan = False
    # dtypes kept as they are by validation (others become the first one); a
    # subclass whose _prepare_X scales compact inputs per batch (uint8 images)
    # lists them so that X is never cast to float64 in full.
    _input_dtypes = (np.float64, np.float32)
    # Rows per inference batch on CUDA (at least ``batch_size``).
    _device_predict_batch = 8192

    _parameter_constraints: dict = {
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "precision": [StrOptions(set(PRECISIONS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        max_epochs=100,
        batch_size=64,
        lr=1e-4,
        validation_fraction=0.1,
        patience=10,
        device="auto",
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _build_module(self, n_features: int, n_classes: int) -> torch.nn.Module:
        """Return the untrained torch module (logits of shape (batch, n_classes))."""

    def _prepare_X(self, X: np.ndarray) -> np.ndarray:
        """Turn validated 2-D X into the float32 array the module reads."""
        return np.array(X, dtype=np.float32, copy=True)

    def _prepare_on_device(self, X: np.ndarray, device: str) -> torch.Tensor:
        """Rows of validated X as the module's float32 tensor on ``device``.

        Used by CUDA inference. The default runs ``_prepare_X`` on the CPU and
        copies the result; a subclass whose preparation is elementwise
        overrides it to copy the compact input and prepare it on the device.
        """
        return to_device(self._prepare_X(X), device)

    def _augment(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Train-time augmentation of one mini-batch (identity by default)."""
        return X

    def _extra_callbacks(self) -> list:
        """Named skorch callbacks added to training, e.g. an LR schedule
        (none by default)."""
        return []

    # ------------------------------------------------------------------- API
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan
        tags.non_deterministic = False
        return tags

    def _validate_X(self, X, *, reset, y="no_validation"):
        return validate_named_data(
            self,
            X,
            y,
            dtype=list(self._input_dtypes),
            ensure_all_finite="allow-nan" if self._allow_nan else True,
            reset=reset,
        )

    def _has_augment(self):
        return type(self)._augment is not BaseSpectrumClassifier._augment

    def _split(self, X, y_enc, seed):
        """Indices (train, valid) of the stratified early-stopping split."""
        fraction = self.validation_fraction
        n_classes = int(y_enc.max()) + 1
        # Exact duplicate rows (oversampling copies) form one group each.
        _, first, groups = np.unique(
            np.ascontiguousarray(X).view(
                np.dtype((np.void, X.dtype.itemsize * X.shape[1]))
            ),
            return_index=True,
            return_inverse=True,
        )
        groups = groups.ravel()
        group_label = y_enc[first]
        counts = np.bincount(group_label, minlength=n_classes)
        n_valid = int(np.ceil(fraction * len(first)))
        if counts.min() < 2 or n_valid < n_classes or len(first) - n_valid < n_classes:
            raise ValueError(
                f"validation_fraction={fraction} needs at least 2 distinct rows per "
                f"class and room for every class on both sides of the split; got "
                f"{len(first)} distinct rows with per-class counts "
                f"{counts.tolist()}. Pass more data or validation_fraction=None."
            )
        _, valid_groups = train_test_split(
            np.arange(len(first)),
            test_size=n_valid,
            stratify=group_label,
            random_state=seed,
        )
        is_valid = np.isin(groups, valid_groups)
        return np.flatnonzero(~is_valid), np.flatnonzero(is_valid)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on spectra X with labels y.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes (float32 or float64).
        y : array-like of shape (n_spectra,)
            Labels of any type (int, str, ...).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        from skorch.callbacks import EarlyStopping
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        X, y = self._validate_X(X, y=y, reset=True)
        check_named_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        y_enc = y_enc.astype(np.int64).ravel()
        if len(self.classes_) < 2:
            raise ValueError(
                "y must hold at least 2 classes to train a classifier; got 1 class "
                f"({self.classes_[0]!r})."
            )
        device = resolve_device(self.device)
        seed = int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )

        if self.validation_fraction is None:
            train_idx, valid_idx = np.arange(len(y_enc)), None
        else:
            train_idx, valid_idx = self._split(X, y_enc, seed)
        Xp = self._prepare_X(X)

        fork_devices = [torch.device(device)] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)
            module = self._build_module(self.n_features_in_, len(self.classes_))
            callbacks = []
            train_split = None
            if valid_idx is not None:
                train_split = predefined_split(Dataset(Xp[valid_idx], y_enc[valid_idx]))
                callbacks.append(
                    (
                        "early_stopping",
                        EarlyStopping(
                            monitor="valid_loss",
                            patience=self.patience,
                            load_best=True,
                            sink=logger.info,
                        ),
                    )
                )
            callbacks.extend(self._extra_callbacks())
            generator = torch.Generator().manual_seed(seed)
            aug_generator = torch.Generator().manual_seed(seed + 1)
            net = _training_net_class()(
                module=module,
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=torch.optim.Adam,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_train__shuffle=True,
                iterator_train__generator=generator,
                train_split=train_split,
                callbacks=callbacks,
                device=device,
                verbose=self.verbose,
            )
            net.precision_ = self.precision
            net.batch_generator_ = generator
            net.augment_ = (
                (lambda xb: self._augment(xb, aug_generator))
                if self._has_augment()
                else None
            )
            net.fit(Xp[train_idx], y_enc[train_idx])

        history = [
            {k: v for k, v in epoch.items() if k != "batches"} for epoch in net.history
        ]
        self.history_ = history
        self.n_epochs_ = len(history)
        if valid_idx is not None:
            losses = [h["valid_loss"] for h in history]
            self.best_epoch_ = int(np.argmin(losses)) + 1
        else:
            self.best_epoch_ = self.n_epochs_
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed + 2)
            self.module_ = _recalibrate_batchnorm(
                net.module_, Xp[train_idx], device, self.batch_size
            )
        check_trained_module(self.module_, history)
        self.device_ = device
        return self

    def _check_predict_input(self, X):
        check_is_fitted(self, "module_")
        return self._validate_X(X, reset=False)

    def _logits(self, X):
        """Logits of X, a batch of rows at a time (bounded memory)."""
        device = resolve_device(self.device)
        module = self.module_.to(device).eval()
        n, n_classes = X.shape[0], len(self.classes_)
        step = max(int(self.batch_size), 1)
        if torch.device(device).type == "cuda":
            # Large pinned chunks, logits kept on the device until the end:
            # no per-batch synchronisation or numpy round trip.
            step = max(step, self._device_predict_batch)
            out = torch.empty((n, n_classes), dtype=torch.float32, device=device)
            with torch.inference_mode(), autocast(device, self.precision):
                for start in range(0, n, step):
                    xb = self._prepare_on_device(X[start : start + step], device)
                    out[start : start + step] = module(xb).float()
            return out.to("cpu", torch.float64).numpy()
        out = np.empty((n, n_classes), dtype=np.float64)
        with torch.inference_mode(), autocast(device, self.precision):
            for start in range(0, n, step):
                xb = torch.from_numpy(self._prepare_X(X[start : start + step]))
                out[start : start + step] = (
                    module(xb.to(device)).to("cpu", torch.float64).numpy()
                )
        return out

    def predict_proba(self, X):
        """Class probabilities of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid the model was fitted on.

        Returns
        -------
        proba : ndarray of shape (n_spectra, n_classes)
            Columns follow ``classes_``; rows sum to 1.
        """
        X = self._check_predict_input(X)
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid the model was fitted on.

        Returns
        -------
        log_proba : ndarray of shape (n_spectra, n_classes)
            Columns follow ``classes_``.
        """
        X = self._check_predict_input(X)
        logits = self._logits(X)
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X):
        """Most probable class of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid the model was fitted on.

        Returns
        -------
        y_pred : ndarray of shape (n_spectra,)
            Labels from ``classes_``.
        """
        X = self._check_predict_input(X)
        return self.classes_[np.argmax(self._logits(X), axis=1)]

    def __getstate__(self):
        state = super().__getstate__()
        module = state.get("module_")
        if module is not None:
            params = list(module.parameters()) + list(module.buffers())
            if any(p.device.type != "cpu" for p in params):
                state["module_"] = copy.deepcopy(module).to("cpu")
        return state
