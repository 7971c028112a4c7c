// Internal to the SQLite store: how one model struct maps to one table. Each column is named once,
// with the member it holds; the SELECT list, reading a row, and the INSERT / upsert / UPDATE
// statements with their bindings all come from that one list.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "service/sqlite.hpp"

namespace signet::service {

enum class Write {
  update,       // inserted, and changed by upsert and update
  insert_only,  // inserted, never changed afterwards (ids, owners, counters kept elsewhere)
  read_only,    // never written by the map (assigned by SQLite, e.g. AUTOINCREMENT)
};

template <class T>
struct Column {
  std::string name;
  Write write = Write::update;
  std::function<void(T&, const sql::Stmt&, int)> read;
  std::function<void(sql::Stmt&, int, const T&)> bind;
};

namespace rowmap {
inline void get(const sql::Stmt& st, int i, std::string& v) {
  v = st.text(i);
}
inline void get(const sql::Stmt& st, int i, int64_t& v) {
  v = st.integer(i);
}
inline void get(const sql::Stmt& st, int i, int& v) {
  v = static_cast<int>(st.integer(i));
}
inline void get(const sql::Stmt& st, int i, uint64_t& v) {
  v = static_cast<uint64_t>(st.integer(i));
}
inline void get(const sql::Stmt& st, int i, bool& v) {
  v = st.integer(i) != 0;
}
}  // namespace rowmap

// A column that holds member m as it is.
template <class T, class M>
Column<T> col(std::string name, M T::*m, Write w = Write::update) {
  return {std::move(name), w, [m](T& t, const sql::Stmt& st, int i) { rowmap::get(st, i, t.*m); },
          [m](sql::Stmt& st, int i, const T& t) { st.bind(i, t.*m); }};
}

// A text column with a conversion (JSON, lists, enums, optional parts).
template <class T>
Column<T> text_col(std::string name, std::function<std::string(const T&)> to,
                   std::function<void(T&, const std::string&)> from, Write w = Write::update) {
  return {std::move(name), w, [from](T& t, const sql::Stmt& st, int i) { from(t, st.text(i)); },
          [to](sql::Stmt& st, int i, const T& t) { st.bind(i, to(t)); }};
}

// A text column where "" is stored as NULL (foreign keys that may be unset).
template <class T>
Column<T> nullable_col(std::string name, std::string T::*m, Write w = Write::update) {
  return {std::move(name), w, [m](T& t, const sql::Stmt& st, int i) { t.*m = st.text(i); },
          [m](sql::Stmt& st, int i, const T& t) {
            if ((t.*m).empty())
              st.bind_null(i);
            else
              st.bind(i, t.*m);
          }};
}

template <class T>
class RowMap {
 public:
  // key: the column an upsert conflicts on and an update selects by.
  RowMap(const std::string& table, const std::string& key, std::vector<Column<T>> cols)
      : cols_(std::move(cols)) {
    std::string all, written, params, updates, excluded;
    for (size_t i = 0; i < cols_.size(); ++i) {
      const auto& c = cols_[i];
      if (c.name == key) key_ = i;
      all += (i ? ", " : "") + c.name;
      if (c.write == Write::read_only) continue;
      written += (written.empty() ? "" : ", ") + c.name;
      params += params.empty() ? "?" : ",?";
      if (c.write != Write::update) continue;
      updates += (updates.empty() ? "" : ", ") + c.name + " = ?";
      excluded += (excluded.empty() ? "" : ", ") + c.name + " = excluded." + c.name;
    }
    select_ = "SELECT " + all + " FROM " + table + " ";
    insert_ = "INSERT INTO " + table + "(" + written + ") VALUES(" + params + ")";
    upsert_ = insert_ + " ON CONFLICT(" + key + ") DO UPDATE SET " + excluded;
    update_ = "UPDATE " + table + " SET " + updates + " WHERE " + key + " = ?";
  }

  const std::string& select() const { return select_; }  // every column, ends with "FROM table "
  const std::string& insert() const { return insert_; }  // the written columns
  const std::string& upsert() const { return upsert_; }  // insert, or set the update columns
  const std::string& update() const { return update_; }  // the update columns, by key

  T read(const sql::Stmt& st) const {
    T t{};
    for (size_t i = 0; i < cols_.size(); ++i) cols_[i].read(t, st, static_cast<int>(i));
    return t;
  }
  std::vector<T> read_all(sql::Stmt& st) const {
    std::vector<T> out;
    while (st.step()) out.push_back(read(st));
    return out;
  }
  // For insert() and upsert().
  sql::Stmt& bind_insert(sql::Stmt& st, const T& t) const {
    int n = 0;
    for (const auto& c : cols_)
      if (c.write != Write::read_only) c.bind(st, ++n, t);
    return st;
  }
  // For update().
  sql::Stmt& bind_update(sql::Stmt& st, const T& t) const {
    int n = 0;
    for (const auto& c : cols_)
      if (c.write == Write::update) c.bind(st, ++n, t);
    cols_[key_].bind(st, n + 1, t);
    return st;
  }

 private:
  std::vector<Column<T>> cols_;
  size_t key_ = 0;
  std::string select_, insert_, upsert_, update_;
};

}  // namespace signet::service
