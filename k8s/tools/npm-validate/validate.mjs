// Validates rendered manifests with the @kubernetes-models validators (generated from the CRDs and the
// Kubernetes OpenAPI). Usage: kubectl kustomize ../../overlays/gpu > /tmp/gpu.yaml && node validate.mjs /tmp/gpu.yaml
import fs from 'node:fs';
import * as yaml from 'js-yaml';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service, ConfigMap, PersistentVolumeClaim } from 'kubernetes-models/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

const models = { ScaledObject, TriggerAuthentication, ServiceMonitor, PrometheusRule, Deployment, Service, ConfigMap,
  PersistentVolumeClaim, PodDisruptionBudget };
let valid = 0, invalid = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8'))) {
    if (!doc) continue;
    const Model = models[doc.kind];
    if (!Model) { console.log(`no validator for ${doc.kind} (${file})`); continue; }
    try {
      new Model(doc).validate();
      valid++;
    } catch (e) {
      invalid++;
      console.log(`${file}: ${doc.kind}/${doc.metadata?.name}: ${e.message}`);
    }
  }
}
console.log(`${valid} valid, ${invalid} invalid`);
process.exit(invalid ? 1 : 0);
