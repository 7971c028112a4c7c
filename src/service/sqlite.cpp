#include "service/sqlite.hpp"

#include "io/error.hpp"

namespace signet::service::sql {

Db::Db(const std::filesystem::path& file, bool read_only) : path_(file.string()) {
  sqlite3* raw = nullptr;
  int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path_.c_str(), &raw, flags, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) fail("cannot open database");
  sqlite3_busy_timeout(raw, 30000);
  sqlite3_extended_result_codes(raw, 1);
  exec("PRAGMA foreign_keys=ON");
}

void Db::fail(std::string_view what) const {
  std::string msg(what);
  if (db_) msg += ": " + std::string(sqlite3_errmsg(db_.get()));
  throw io::Error(msg, io::Location{path_});
}

void Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw io::Error("database error: " + msg + " (in: " + s.substr(0, 80) + ")", io::Location{path_});
  }
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    db.fail("cannot prepare statement '" + std::string(sql.substr(0, 60)) + "'");
  }
  stmt_.reset(raw);
}

Stmt& Stmt::bind(int i, std::string_view v) {
  if (sqlite3_bind_text64(stmt_.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
    db_->fail("bind failed");
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(stmt_.get(), i, v) != SQLITE_OK) db_->fail("bind failed");
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(stmt_.get(), i) != SQLITE_OK) db_->fail("bind failed");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("statement failed");
}

void Stmt::run() {
  while (step()) {
  }
}

void Stmt::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)));
}

int64_t Stmt::integer(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

bool Stmt::is_null(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

}  // namespace signet::service::sql
