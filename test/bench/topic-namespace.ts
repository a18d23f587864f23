// Imported first by a benchmark: its events go to topics of their own (`bench.spor...`), not to
// the ones every test on the shared local broker replays from the start. Set before any module
// that names a topic when it loads.
process.env.SPOR_TOPIC_NAMESPACE ??= 'bench';
