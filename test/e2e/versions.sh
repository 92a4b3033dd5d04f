# shellcheck shell=bash
# The one place the end-to-end harness pins what it builds and runs.
# Sourced by binaries.sh and run.sh; each can be overridden from the
# environment for a one-off try of another release.

# kube-apiserver 1.36 watches with features Debian's etcd 3.4 lacks (KWOK's
# watches kept failing on it and a pod took ~28 s to run): 3.6, newest patch.
E2E_ETCD_VERSION="${E2E_ETCD_VERSION:-v3.6.16}"
E2E_KWOK_VERSION="${E2E_KWOK_VERSION:-v0.8.0}"
# Built from ../shared/metacontroller/metacontroller-$E2E_METACONTROLLER_VERSION-src.tar.gz:
# its module path `metacontroller` is not one the Go module proxy can serve.
E2E_METACONTROLLER_VERSION="${E2E_METACONTROLLER_VERSION:-v4.17.2}"
# The route CRDs the traffic-routing tests install (test/integration/route-crds.sh),
# integration and e2e alike: Gateway API's standard-channel HTTPRoute and
# Istio's VirtualService and DestinationRule, each from its Go module.
E2E_GATEWAY_API_VERSION="${E2E_GATEWAY_API_VERSION:-v1.6.3}"
E2E_ISTIO_API_VERSION="${E2E_ISTIO_API_VERSION:-v1.32.0}"
# Helm, built from its Go module by test/integration/helm-binary.sh: the chart
# tests (render parity, lint, install/upgrade/uninstall) and the e2e cluster
# that installs through charts/canary-hooks.
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
# The Prometheus Operator's ServiceMonitor and PrometheusRule CRDs, which the
# chart's install test puts on the API server before it installs the chart's
# ServiceMonitor and PrometheusRule (test/integration/monitoring-crds.sh).
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
