export { admit } from "./admit.js";
export type { AdmissionOutcome, AdmitOptions, AdmitState, AppliedChange } from "./admit.js";
export { ORIGINAL_IMAGES_ANNOTATION, buildPatch, mergeOriginalImages } from "./patch.js";
export type { ImageChange, OriginalImages } from "./patch.js";
export { listImageSlots } from "./image-slots.js";
export type { ImageSlot, SpecField } from "./image-slots.js";
export { locatePodTarget } from "./pod-target.js";
export type { PodTarget } from "./pod-target.js";
export { escapePointerToken, pointer } from "./json-pointer.js";
export { resolveNamespaceLabels } from "./namespace-labels.js";
export {
  allowResponse,
  decodeReview,
  encodeReview,
  findUid,
  rejectResponse,
  REVIEW_VERSIONS,
} from "./review.js";
export type {
  AdmissionRequest,
  AdmissionResponse,
  DecodedReview,
  GroupVersionKind,
  JsonPatchOperation,
  Operation,
} from "./review.js";
