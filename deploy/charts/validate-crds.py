# Validates the custom resources in rendered manifests (given as files) against the schemas in
# crd-schemas/ (<group>_<version>_<Kind>.json), with the jsonschema package kubernetes-validate
# itself uses; run with its virtualenv's python. Prints one line per problem; exits 1 on any,
# and 2 on a custom resource kind without a schema.
import json, os, sys
import jsonschema, yaml

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crd-schemas")
problems, unknown, checked = [], [], 0
for path in sys.argv[1:]:
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if not doc or "." not in doc.get("apiVersion", "").split("/")[0]:
                continue  # core API groups: kubernetes-validate's
            group, version = doc["apiVersion"].split("/")
            if group.endswith(".k8s.io"):
                continue  # Kubernetes' own groups (networking.k8s.io, ...): kubernetes-validate's
            schema_file = os.path.join(here, f"{group}_{version}_{doc['kind']}.json")
            name = f"{doc['kind']}/{doc.get('metadata', {}).get('name')}"
            if not os.path.exists(schema_file):
                unknown.append(f"{path}: {name}: no schema for {doc['apiVersion']} {doc['kind']} in {here}")
                continue
            with open(schema_file) as s:
                for error in jsonschema.Draft7Validator(json.load(s)).iter_errors(doc):
                    problems.append(f"{path}: {name}: {'/'.join(map(str, error.path)) or '(root)'}: {error.message}")
            checked += 1
for line in problems + unknown:
    print(line)
print(f"custom resources: {checked} checked, {len(problems)} problems, {len(unknown)} without a schema")
sys.exit(2 if unknown else 1 if problems else 0)
