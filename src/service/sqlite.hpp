// A thin RAII layer over the SQLite C API: a connection and prepared statements with typed
// binding and column access. Every failure throws io::Error with SQLite's message.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace signet::service::sql {

class Db;

class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&&) noexcept = default;
  ~Stmt() = default;

  // Binding by 1-based index; returns *this for chaining.
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<int64_t>(v ? 1 : 0)); }
  Stmt& bind(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind_null(int i);
  Stmt& bind_opt(int i, const std::optional<std::string>& v) { return v ? bind(i, *v) : bind_null(i); }
  Stmt& bind(int i, const std::optional<std::string>& v) { return bind_opt(i, v); }
  // Binds the arguments to parameters 1, 2, ... in order.
  template <class... Args>
  Stmt& bind_all(const Args&... args) {
    [[maybe_unused]] int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  bool step();  // true: a row is available; false: done
  void run();   // step until done (statements without rows)
  void reset();

  std::string text(int col) const;  // "" for NULL
  int64_t integer(int col) const;
  bool is_null(int col) const;

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  Db* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

class Db {
 public:
  // Opens (creating if needed) the database file; sets WAL, foreign keys and a busy timeout.
  Db(const std::filesystem::path& file, bool read_only);
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() = default;

  void exec(std::string_view sql);  // one or more statements without results
  sqlite3* handle() const { return db_.get(); }
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  [[noreturn]] void fail(std::string_view what) const;

 private:
  struct Closer {
    void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

}  // namespace signet::service::sql
