// Executes a plan inside-out: leaves are hashed and signed in parallel on a thread pool, each
// changed container is rebuilt by its own writer as soon as its entries become ready, then the
// container's own directives run. Unchanged entries are copied raw.
#pragma once
#include <atomic>
#include <cstdint>

#include "engine/plan.hpp"
#include "io/file.hpp"

namespace signet::engine {

struct Progress {
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
};

struct ExecuteOptions {
  unsigned threads = 0;         // 0: one per core
  bool record_digests = false;  // fill Node::sha256_before/after (costs a pass per file)
  formats::Limits limits;
  Progress* progress = nullptr;
};

// Writes the signed artifact to `out`. On error, throws the first failure after every task has
// stopped; `out` then holds garbage and must be discarded (AtomicOutput does that).
void execute(Node& root, const Keys& keys, io::File& out, io::TempDir& temp, const ExecuteOptions& options);

}  // namespace signet::engine
