"""scikit-learn's estimator checks that cannot apply to bprop's estimators are left out of the
collection rather than collected as tests that always skip:

- check_array_api_input: runs only with SCIPY_ARRAY_API=1 and an array API library; bprop's
  estimators take NumPy arrays (and anything NumPy converts), not array API namespaces.
- check_classifiers_multilabel_output_format_decision_function: the classifier has no
  decision_function (it has predict_proba), so the check returns at once.
"""

NOT_APPLICABLE = ("check_array_api_input", "check_classifiers_multilabel_output_format_decision_function")


def pytest_collection_modifyitems(config, items):
    kept, left_out = [], []
    for item in items:
        (left_out if any(name in item.nodeid for name in NOT_APPLICABLE) else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
