#include "engine/execute.hpp"

#include <unistd.h>

#include <future>
#include <mutex>
#include <thread>

#include "engine/thread_pool.hpp"
#include "io/error.hpp"
#include "io/hash.hpp"

namespace signet::engine {

namespace {

using Future = std::shared_future<io::SourcePtr>;

// Thrown by tasks that stop because another file already failed. It travels through the futures
// like any error, but it is never what the user is told: execute() reports the first real failure.
class Cancelled : public io::Error {
 public:
  explicit Cancelled(const std::string& path) : io::Error("cancelled after an earlier failure", {path}) {}
};

Future ready(io::SourcePtr p) {
  std::promise<io::SourcePtr> pr;
  pr.set_value(std::move(p));
  return pr.get_future().share();
}

class Executor {
 public:
  Executor(const Keys& keys, io::TempDir& temp, const ExecuteOptions& opt)
      : temp_(temp),
        opt_(opt),
        pool_(opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency())) {
    ctx_.x509 = keys.x509;
    ctx_.pgp = keys.pgp;
    ctx_.timestamp_urls = keys.timestamp_urls;
    ctx_.trust_anchors = keys.trust_anchors;
    ctx_.temp = &temp_;
  }

  ~Executor() { drain(); }

  bool cancelled() const { return cancelled_; }

  // The first failure that was not a cancellation, null when there was none.
  std::exception_ptr first_error() {
    std::lock_guard lock(error_mu_);
    return first_error_;
  }

  // Waits for every task and writer, whatever happened.
  void drain() {
    pool_.wait_idle();
    std::lock_guard lock(writers_mu_);
    for (auto& w : writers_) w.wait();
    writers_.clear();
  }

  struct Scheduled {
    Future bytes;               // nullptr when unchanged
    std::vector<Future> added;  // one per Node::added
  };

  Scheduled schedule(Node& n) {
    bool container = n.opened && n.opened->is_container();
    if (container && n.changes) return schedule_container(n, nullptr);
    if (n.methods.empty()) {
      if (opt_.record_digests) schedule_digest_only(n);
      return {ready(nullptr), {}};
    }
    return schedule_leaf(n);
  }

  // The root container written straight into the output file, when it has no directives of its own.
  void write_root_container(Node& root, io::File& out) {
    std::vector<formats::Replacement> replaced;
    std::vector<formats::Addition> added;
    collect_children(root, replaced, added);
    root.opened->write(out, replaced, added);
  }

 private:
  // Cancels the remaining tasks and remembers the failure if it is the first real one. Called
  // before the error is handed to any future, so whoever sees a Cancelled later finds it recorded.
  void failed(const std::exception_ptr& e) {
    bool real = true;
    try {
      std::rethrow_exception(e);
    } catch (const Cancelled&) {
      real = false;
    } catch (...) {
    }
    if (real) {
      std::lock_guard lock(error_mu_);
      if (!first_error_) first_error_ = e;
    }
    cancelled_ = true;  // after recording: no Cancelled exists before the cause is known
  }

  void count_file(const Node& n) {
    if (opt_.progress) opt_.progress->files_total++;
    (void)n;
  }
  void done_file(uint64_t bytes) {
    if (opt_.progress) {
      opt_.progress->files_done++;
      opt_.progress->bytes_done += bytes;
    }
  }

  // Runs the node's methods in document order on `cur`; returns the final bytes.
  io::SourcePtr run_methods(Node& n, io::SourcePtr cur, std::vector<std::promise<io::SourcePtr>>& added) {
    const formats::OpenedFile* opened = n.opened.get();
    std::unique_ptr<formats::OpenedFile> reopened;
    if (n.format && cur != n.bytes &&
        !n.methods.empty()) {  // a rebuilt container: its methods see the new bytes
      reopened = n.format->open(cur, opt_.limits);
      opened = reopened.get();
    }
    size_t added_index = 0;
    for (size_t i = 0; i < n.methods.size(); ++i) {
      if (cancelled_) throw Cancelled(n.path);
      const auto& m = *n.methods[i];
      methods::Input in{cur, opened, n.name, n.path};
      methods::Output out = m.apply(in, ctx_);
      Node::Applied rec{std::string(m.directive()), out.description, {}};
      switch (m.category()) {
        case methods::Category::embedded:
          cur = out.bytes;
          if (n.format && i + 1 < n.methods.size()) {  // later methods see the signed file
            reopened = n.format->open(cur, opt_.limits);
            opened = reopened.get();
          }
          break;
        case methods::Category::detached:
        case methods::Category::enveloped:
          rec.output = n.added[added_index].path;
          added[added_index++].set_value(out.bytes);
          break;
        case methods::Category::verify:
          break;
      }
      n.applied.push_back(std::move(rec));
    }
    return cur;
  }

  Scheduled schedule_leaf(Node& n) {
    count_file(n);
    auto bytes = std::make_shared<std::promise<io::SourcePtr>>();
    auto added = std::make_shared<std::vector<std::promise<io::SourcePtr>>>(n.added.size());
    Scheduled s{bytes->get_future().share(), {}};
    for (auto& p : *added) s.added.push_back(p.get_future().share());
    pool_.submit([this, &n, bytes, added] {
      try {
        if (cancelled_) throw Cancelled(n.path);
        if (opt_.record_digests) n.sha256_before = io::to_hex(io::digest(io::HashAlg::sha256, *n.bytes));
        io::SourcePtr out = run_methods(n, n.bytes, *added);
        bool changed = out != n.bytes;
        if (opt_.record_digests) {
          n.sha256_after = changed ? io::to_hex(io::digest(io::HashAlg::sha256, *out)) : n.sha256_before;
        }
        done_file(n.bytes->size());
        bytes->set_value(changed ? out : nullptr);
      } catch (...) {
        auto err = std::current_exception();
        failed(err);
        bytes->set_exception(err);
        for (auto& p : *added) {
          try {
            p.set_exception(err);
          } catch (const std::future_error&) {  // already satisfied
          }
        }
      }
    });
    return s;
  }

  void schedule_digest_only(Node& n) {
    pool_.submit([&n] {
      try {
        n.sha256_before = n.sha256_after = io::to_hex(io::digest(io::HashAlg::sha256, *n.bytes));
      } catch (...) {  // the writer reports unreadable entries
      }
    });
  }

  void collect_children(Node& n, std::vector<formats::Replacement>& replaced,
                        std::vector<formats::Addition>& added) {
    for (auto& c : n.children) {
      Scheduled s = schedule(c);
      if (c.changes) replaced.push_back(formats::Replacement{c.entry_index, s.bytes});
      for (size_t k = 0; k < c.added.size(); ++k) {
        added.push_back(formats::Addition{c.entry_index, c.added[k].path, s.added[k]});
      }
    }
  }

  Scheduled schedule_container(Node& n, io::File* direct) {
    std::vector<formats::Replacement> replaced;
    std::vector<formats::Addition> added;
    collect_children(n, replaced, added);
    auto bytes = std::make_shared<std::promise<io::SourcePtr>>();
    auto own_added = std::make_shared<std::vector<std::promise<io::SourcePtr>>>(n.added.size());
    Scheduled s{bytes->get_future().share(), {}};
    for (auto& p : *own_added) s.added.push_back(p.get_future().share());
    // Writers block on their entries' futures, so they get their own thread rather than a pool slot.
    std::lock_guard lock(writers_mu_);
    writers_.push_back(std::async(std::launch::async, [this, &n, direct, replaced, added, bytes, own_added] {
      try {
        auto path = temp_.new_file(n.name);
        {
          io::File f = io::File::create(path);
          n.opened->write(f, replaced, added);
        }
        io::SourcePtr cur = io::file_source(path);
        cur = run_methods(n, cur, *own_added);
        if (opt_.record_digests) n.sha256_after = io::to_hex(io::digest(io::HashAlg::sha256, *cur));
        bytes->set_value(cur);
      } catch (...) {
        auto err = std::current_exception();
        failed(err);
        bytes->set_exception(err);
        for (auto& p : *own_added) {
          try {
            p.set_exception(err);
          } catch (const std::future_error&) {
          }
        }
      }
      (void)direct;
    }));
    return s;
  }

  io::TempDir& temp_;
  const ExecuteOptions& opt_;
  methods::Context ctx_;
  std::atomic<bool> cancelled_{false};
  std::mutex error_mu_;
  std::exception_ptr first_error_;
  std::mutex writers_mu_;
  std::vector<std::future<void>> writers_;
  ThreadPool pool_;  // last: destroyed (joined) first
};

}  // namespace

void execute(Node& root, const Keys& keys, io::File& out, io::TempDir& temp, const ExecuteOptions& options) {
  Executor ex(keys, temp, options);
  bool container = root.opened && root.opened->is_container();
  try {
    if (container && root.changes && root.methods.empty()) {
      ex.write_root_container(root, out);
    } else {
      auto s = ex.schedule(root);
      // While the file is hashed and signed on the pool, this thread copies it to the output:
      // most signatures change a few bytes and append some, so only those are written afterwards.
      // (On file systems without reflinks the copy costs about as much as the hash.)
      // (Not for a rebuilt container: its output is a new file, nothing of the input survives.)
      const bool fresh = out.size() == 0 && ::lseek(out.fd(), 0, SEEK_CUR) == 0;
      const bool worth = fresh && !root.methods.empty() && !(container && root.changes);
      const auto base = worth ? root.bytes->file_range() : std::nullopt;
      const uint64_t have = base ? io::copy_ahead(*base, out, [&] { return ex.cancelled(); }) : 0;
      io::SourcePtr result = s.bytes.get();
      const io::Source& final_bytes = result ? *result : *root.bytes;
      if (base) {
        io::copy_over(final_bytes, out, *base, have);
      } else {
        io::copy_to(final_bytes, out);
      }
    }
  } catch (...) {
    ex.drain();
    // A container's writer meets its entries' errors in entry order, so what reached here may be
    // a cancellation (or a container's wrapping of one) while the cause failed in another entry.
    if (auto first = ex.first_error()) std::rethrow_exception(first);
    throw;
  }
  ex.drain();
}

}  // namespace signet::engine
