#include "service/service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "io/error.hpp"
#include "service/api.hpp"
#include "service/audit.hpp"
#include "service/log.hpp"
#include "service/seed.hpp"
#include "service/util.hpp"
#include "service/worker.hpp"

namespace signet::service {

namespace fs = std::filesystem;

namespace {

std::pair<std::string, unsigned short> parse_listen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw io::Error("--listen must be HOST:PORT (got '" + listen + "')");
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "127.0.0.1";
  try {
    size_t used = 0;
    int p = std::stoi(port, &used);
    if (used != port.size() || p < 0 || p > 65535) throw std::out_of_range("port");
    return {host, static_cast<unsigned short>(p)};
  } catch (const std::exception&) {
    throw io::Error("--listen port must be a number from 0 to 65535 (got '" + port + "')");
  }
}

// One service per data directory: a second one would share the database but not the in-process
// work queue and recovery assumptions.
int lock_data_dir(const fs::path& dir) {
  fs::path lock = dir / "lock";
  int fd = ::open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw io::Error("cannot create lock file", io::Location{lock.string()});
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw io::Error("another signet serve is using this data directory", io::Location{dir.string()});
  }
  return fd;
}

}  // namespace

int run_service(const ServeConfig& config) {
  auto [host, port] = parse_listen(config.listen);
  if (!config.scratch_dir.empty()) {
    // Before any thread exists: the engine reads TMPDIR for each run's scratch directory.
    fs::create_directories(config.scratch_dir);
    ::setenv("TMPDIR", config.scratch_dir.c_str(), 1);
  }
  fs::create_directories(config.data_dir);
  fs::permissions(config.data_dir, fs::perms::owner_all, fs::perm_options::replace);
  int lock_fd = lock_data_dir(config.data_dir);
  set_access_log(config.access_log);

  // Signals are taken by one thread with sigwait; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  SqliteOptions so;
  so.synchronous_full = config.synchronous_full;
  auto store = open_sqlite_store(config.data_dir / "signet.db", so);

  bool has_org = false;
  store->read([&](Tx& tx) { has_org = !tx.organizations().empty(); });
  if (config.seed) {
    Seed seed = load_seed(*config.seed);
    int n = apply_seed(*store, seed);
    std::cout << "signet: seed " << config.seed->string() << " applied (" << n << " change(s)); organization "
              << seed.organization.id << "\n";
  } else if (!has_org) {
    auto b = bootstrap_default(*store, config.data_dir);
    std::cout << "signet: first start: created organization " << b.org_id << " with project 'demo' (policies "
              << "test-signing, release-signing), a development CA in " << (config.data_dir / "pki").string()
              << "\n"
              << "signet: admin token (also in " << (config.data_dir / "admin-token").string()
              << "): " << b.admin_token << "\n";
  }

  ArtifactStore artifacts(config.data_dir);
  KeyCache keys;
  Notifier notifier;
  ServiceOptions options;
  options.data_dir = config.data_dir;
  options.max_upload_bytes = config.max_upload_bytes;
  options.workers = config.workers;
  options.engine_threads = config.engine_threads;
  Context ctx{options, *store, artifacts, keys, notifier};
  recover(ctx);

  Background background(ctx);
  background.start();
  Api api(ctx);
  http::ServerOptions hs;
  hs.host = host;
  hs.port = port;
  hs.public_url = config.public_url;
  http::Server server(hs, [&api](http::Request& r) { return api.handle(r); });

  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    log_info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    server.stop();
  });
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::cout << "signet: listening on http://" << shown << ":" << server.port() << std::endl;
  server.run();  // returns once the signal thread called stop()
  signals.join();
  for (int i = 0; i < 40 && server.active() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  background.stop();
  ::close(lock_fd);
  if (server.active() > 0) {
    // Idle keep-alive connections still hold threads that use the store: end the process here
    // (every committed state is durable; nothing is in flight).
    std::cout.flush();
    std::_Exit(0);
  }
  return 0;
}

int verify_audit(const fs::path& data_dir) {
  fs::path db = data_dir / "signet.db";
  std::error_code ec;
  if (!fs::exists(db, ec))
    throw io::Error("no service database here (signet.db missing)", io::Location{data_dir.string()});
  auto store = open_sqlite_store(db, {true, 1});
  AuditVerifier v;
  auto head = store->scan_audit([&](const AuditEvent& e) { v.add(e); });
  v.finish(head);
  if (!v.problems().empty()) {
    for (const auto& p : v.problems()) std::cerr << "signet: audit: " << p << "\n";
    std::cerr << "signet: audit log is NOT intact (" << v.problems().size() << " problem(s) in " << v.count()
              << " event(s))\n";
    return 1;
  }
  std::cout << "audit log intact: " << v.count() << " event(s); head " << v.last_seq() << " " << v.last_hash()
            << "\n";
  return 0;
}

}  // namespace signet::service
