"""What the content loader refuses, before anything reaches a database or a cluster.

- `problems`: a problem names the file, the line and the field;
- `yaml_strict`: UTF-8 only, no duplicate keys, no anchors or aliases, sizes and depth bounded;
- `kinds`: the kinds a challenge may create, namespaced ones everywhere, cluster-scoped ones only
  where an attempt gets a whole cluster;
- `openapi`: every kind and field against the API's own schema for the pinned Kubernetes version
  (generated from the pinned build by `openapi_build`, committed beside this file);
- `tenancy`: what a namespace of a shared cluster would refuse, or what would reach past it.
"""
