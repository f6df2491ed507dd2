// Streams: JSON Lines over zstd (reading, writing, progress). The JSON value, tape parser, records, errors,
// randomness, hashing, clocks and the atomic file writer live in Base, which Streams re-exports so that
// `import Streams` is all a tool library needs.
@_exported import Base
