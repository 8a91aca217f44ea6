/** Signed checkpoints of the proof log (C2SP signed-note / tlog-checkpoint) and their consistency. */
export { base64Decode, base64Encode, NoteError, noteKeyId, openNote, parseSignerKey, parseVerifierKey, signerFromSeed, signerKeyString, signNote, verifierKeyString } from "./note.js";
export type { NoteSignature, NoteSigner, NoteVerifier, OpenedNote } from "./note.js";
export { checkConsistency, formatCheckpoint, openCheckpoint, parseCheckpointText, signCheckpoint } from "./checkpoint.js";
export type { Checkpoint, ConsistencyVerdict } from "./checkpoint.js";
export { ProofLog } from "./log.js";
export type { ProofLogSource, PublishedCheckpoint } from "./log.js";
