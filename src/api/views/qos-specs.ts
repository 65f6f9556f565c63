/** QoS specs views (Cinder's `api/views/qos_specs.py`). */
import type { QosSpecsRecord } from '../../db/api/qos-specs.js';
import { resourceLinks, type LinkBase } from '../common/links.js';

/** `{id, name, consumer, specs}`: one entry of a list, and the body of a detail. */
export function qosSpecsEntry(spec: QosSpecsRecord): Record<string, unknown> {
  return { id: spec.id, name: spec.name, consumer: spec.consumer, specs: { ...spec.specs } };
}

/** Create/show answer: the entry and its `links`. */
export function qosSpecsDetailView(spec: QosSpecsRecord, links: LinkBase): Record<string, unknown> {
  return { qos_specs: qosSpecsEntry(spec), links: resourceLinks(links, 'qos-specs', spec.id) };
}

/** `GET /qos-specs/{id}/associations`. */
export function qosAssociationsView(types: readonly { id: string; name: string }[]): Record<string, unknown> {
  return {
    qos_associations: types.map((t) => ({ association_type: 'volume_type', name: t.name, id: t.id })),
  };
}
