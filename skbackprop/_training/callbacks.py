"""scikit-learn's callbacks (`sklearn.callback`, scikit-learn 1.9 and later).

`CallbackSupportMixin` gives the estimator ``set_callbacks``. On an older
scikit-learn it is a stand-in whose ``set_callbacks`` says that 1.9 is needed,
and the estimator trains as before.

`FitTasks` reports one fit to the callbacks as scikit-learn's LogisticRegression
reports its L-BFGS iterations: the fit is the root task and each epoch is a
sub-task. The callbacks get the training data and, at the end of each epoch, a
copy of the estimator with that epoch's weights (``fitted_estimator``), which is
what ``ScoringMonitor`` scores; a callback returning True stops training.
"""

import sklearn

from . import arrays as _arrays

try:
    from sklearn.callback import CallbackSupportMixin

    AVAILABLE = True
except ImportError:  # scikit-learn < 1.9
    AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callbacks."""

        def set_callbacks(self, *callbacks):
            """Callbacks need scikit-learn >= 1.9: raise ImportError saying so."""
            raise ImportError(
                "set_callbacks needs scikit-learn >= 1.9, the first version with "
                f"sklearn.callback; scikit-learn {sklearn.__version__} is "
                "installed. Upgrade with: pip install 'scikit-learn>=1.9'"
            )


class FitTasks:
    """The callback tasks of one fit: the fit itself, and one task per epoch.

    The task of epoch k begins when epoch k - 1 ends (the first one in `start`),
    so a training loop only reports the end of each epoch, through `on_epoch`.
    The task begun after the last epoch never runs: `finish` ends it empty, then
    ends the fit's task.

    Parameters
    ----------
    estimator : estimator instance
        The estimator being fitted, a `CallbackSupportMixin`.

    max_epochs : int
        The most epochs the fit can run.
    """

    def __init__(self, estimator, max_epochs):
        self.estimator = estimator
        # Without callbacks there is nobody to report to: skip the tasks, which
        # cost tens of microseconds an epoch.
        active = AVAILABLE and getattr(estimator, "_skl_callbacks", None)
        # One task per epoch plus the one begun after the last epoch.
        self.fit_task = (
            estimator._init_callback_context(max_subtasks=max_epochs + 1)
            if active
            else None
        )

    def start(self, X, y, sample_weight, weight_attributes, theta):
        """Begin the fit's task and the first epoch's.

        ``weight_attributes(theta)`` returns the fitted attributes that make an
        estimator with weights ``theta`` ready to predict.
        """
        if self.fit_task is None:
            return
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self.data = {"X": X, "y": y, "metadata": metadata}
        self.weight_attributes = weight_attributes
        self.fit_task.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        self._begin_epoch(theta)

    def on_epoch(self, epoch, theta):
        """End the epoch's task with weights ``theta``; return True to stop."""
        if self.fit_task is None:
            return False
        stop = self.epoch_task.call_on_fit_task_end(
            estimator=self.estimator,
            **self.data,
            reconstruction_attributes=self._at(theta),
        )
        self._begin_epoch(theta)
        return stop

    def finish(self):
        """End the unused last epoch task, then the fit's task."""
        if self.fit_task is None:
            return
        self.epoch_task.call_on_fit_task_end(estimator=self.estimator)
        self.fit_task.call_on_fit_task_end(
            estimator=self.estimator, **self.data, reconstruction_attributes={}
        )

    def _begin_epoch(self, theta):
        self.epoch_task = self.fit_task.subcontext(task_name="epoch")
        self.epoch_task.call_on_fit_task_begin(
            estimator=self.estimator,
            **self.data,
            reconstruction_attributes=self._at(theta),
        )

    def _at(self, theta):
        # Built only when a callback asks for fitted_estimator, at once, from a
        # copy: training goes on changing theta in place.
        return lambda: self.weight_attributes(_arrays.copy(theta))
