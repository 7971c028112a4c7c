// Where each file of a package goes: its entry path. Windows Installer places a file in its
// component's directory, a chain of Directory rows up to the root (TARGETDIR). Entry paths are
// that chain, relative to the product's own folder:
//   - the root contributes nothing, and neither does a directory whose target name is ".";
//   - a standard folder (ProgramFilesFolder, SystemFolder, ...; resolved only at install time)
//     contributes its property name; any other directory its long target name (DefaultDir
//     "[short|]long[:source]");
//   - the file name is File.FileName's long name;
//   - the leading directories shared by every file of the package are dropped: they are where
//     the product installs (e.g. ProgramFilesFolder/MyProduct), not part of its layout.
// So a package installing "ProgramFilesFolder/MyProduct/main.exe" and ".../MyProduct/libs/
// common.dll" lists "main.exe" and "libs/common.dll" (SignPath's documented shape). A package
// spread over several standard folders keeps them as its first segment ("SystemFolder/x.sys").
// Only files whose bytes are in an embedded cabinet (Media.Cabinet "#stream", or a merge module's
// MergeModule.CABinet) are entries; files in external cabinets or uncompressed beside the package
// are not inside the MSI (patches, .msp, keep theirs in transforms and list none).
#include <algorithm>
#include <map>
#include <set>

#include "formats/cab/cab_internal.hpp"
#include "formats/factories.hpp"
#include "formats/msi/msi_internal.hpp"
#include "io/ascii.hpp"

namespace signet::formats::msi {

namespace {

constexpr int32_t kAttrNoncompressed = 0x2000;
constexpr std::string_view kMergeModuleCabinet = "MergeModule.CABinet";

const std::set<std::string, std::less<>>& standard_folders() {
  static const std::set<std::string, std::less<>> s = {
      "AdminToolsFolder",   "AppDataFolder",        "CommonAppDataFolder", "CommonFiles64Folder",
      "CommonFilesFolder",  "DesktopFolder",        "FavoritesFolder",     "FontsFolder",
      "LocalAppDataFolder", "MyPicturesFolder",     "NetHoodFolder",       "PersonalFolder",
      "PrintHoodFolder",    "ProgramFiles64Folder", "ProgramFilesFolder",  "ProgramMenuFolder",
      "RecentFolder",       "SendToFolder",         "StartMenuFolder",     "StartupFolder",
      "System16Folder",     "System64Folder",       "SystemFolder",        "TempFolder",
      "TemplateFolder",     "WindowsFolder",        "WindowsVolume"};
  return s;
}

// "short|long" -> "long"; DefaultDir's target part is before ':'.
std::string long_name(std::string v, bool default_dir) {
  if (default_dir) {
    if (auto colon = v.find(':'); colon != std::string::npos) v.resize(colon);
  }
  if (auto bar = v.find('|'); bar != std::string::npos) v = v.substr(bar + 1);
  return v;
}

size_t need(const Table& t, std::string_view col, const std::string& pkg) {
  size_t c = t.column(col);
  if (c == Table::npos) fail(pkg, "table " + t.name + " has no column " + std::string(col));
  return c;
}

class Resolver {
 public:
  Resolver(const Database& db, const Table& dirs, const std::string& pkg) : pkg_(pkg) {
    size_t key = need(dirs, "Directory", pkg), parent = need(dirs, "Directory_Parent", pkg);
    size_t def = need(dirs, "DefaultDir", pkg);
    for (size_t r = 0; r < dirs.rows; ++r) {
      rows_[db.text(dirs, r, key)] = {db.text(dirs, r, parent), long_name(db.text(dirs, r, def), true)};
    }
  }

  const std::vector<std::string>& segments(const std::string& key) {
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    if (!visiting_.insert(key).second) fail(pkg_, "the Directory table has a cycle through '" + key + "'");
    if (visiting_.size() > 1000) fail(pkg_, "the Directory table nests deeper than 1000 levels");
    auto it = rows_.find(key);
    if (it == rows_.end()) fail(pkg_, "directory '" + key + "' is referenced but not in the Directory table");
    std::vector<std::string> segs;
    const auto& [parent, name] = it->second;
    if (!parent.empty() && parent != key) {
      segs = segments(parent);
      std::string seg = standard_folders().count(key) ? key : name;
      if (!seg.empty() && seg != ".") segs.push_back(seg);
    }
    visiting_.erase(key);
    return done_[key] = std::move(segs);
  }

 private:
  const std::string& pkg_;
  std::map<std::string, std::pair<std::string, std::string>> rows_;
  std::map<std::string, std::vector<std::string>> done_;
  std::set<std::string> visiting_;
};

}  // namespace

Package read_layout(const cfb::CompoundFile& cf, const Database& db, const Limits& limits,
                    io::TempDir& temp) {
  const std::string& pkg = cf.name();
  Package p;
  auto file_t = db.table("File");
  auto media_t = db.table("Media");
  // A merge module (.msm) has no Media table: all its files are in the MergeModule.CABinet stream.
  bool merge_module =
      !media_t && cf.find(0, encode_name(kMergeModuleCabinet, false)) != cfb::CompoundFile::npos;
  if (!file_t || file_t->rows == 0 || (!media_t && !merge_module)) return p;  // nothing inside the package
  auto comp_t = db.table("Component");
  auto dir_t = db.table("Directory");
  if (!comp_t || !dir_t) fail(pkg, "the package has files but no Component or Directory table");

  // Media rows by LastSequence: a file belongs to the first disk whose LastSequence reaches it.
  struct Disk {
    int32_t last = 0;
    std::string cabinet;
  };
  std::vector<Disk> disks;
  if (merge_module) {
    disks.push_back({INT32_MAX, "#" + std::string(kMergeModuleCabinet)});
  } else {
    size_t m_last = need(*media_t, "LastSequence", pkg), m_cab = need(*media_t, "Cabinet", pkg);
    for (size_t r = 0; r < media_t->rows; ++r) {
      disks.push_back({media_t->integer(r, m_last).value_or(0), db.text(*media_t, r, m_cab)});
    }
  }
  std::stable_sort(disks.begin(), disks.end(), [](const Disk& a, const Disk& b) { return a.last < b.last; });

  std::map<std::string, std::string> comp_dir;
  size_t c_key = need(*comp_t, "Component", pkg), c_dir = need(*comp_t, "Directory_", pkg);
  for (size_t r = 0; r < comp_t->rows; ++r) comp_dir[db.text(*comp_t, r, c_key)] = db.text(*comp_t, r, c_dir);

  Resolver dirs(db, *dir_t, pkg);
  size_t f_key = need(*file_t, "File", pkg), f_comp = need(*file_t, "Component_", pkg);
  size_t f_name = need(*file_t, "FileName", pkg), f_seq = need(*file_t, "Sequence", pkg);
  size_t f_attr = file_t->column("Attributes");
  std::map<std::string, size_t> cab_index;              // cabinet name -> index in p.cabinets
  std::vector<std::map<std::string, size_t>> cab_keys;  // per cabinet: file name -> entry
  struct Found {
    int32_t seq;
    Installed file;
    std::vector<std::string> dirs;
    std::string name;
  };
  std::vector<Found> found;
  for (size_t r = 0; r < file_t->rows; ++r) {
    std::string key = db.text(*file_t, r, f_key);
    int32_t seq = file_t->integer(r, f_seq).value_or(0);
    auto disk = std::find_if(disks.begin(), disks.end(), [&](const Disk& d) { return d.last >= seq; });
    if (disk == disks.end() || disk->cabinet.empty() || disk->cabinet[0] != '#') continue;  // not embedded
    std::string cab_name = disk->cabinet.substr(1);
    auto [ci, fresh] = cab_index.emplace(cab_name, p.cabinets.size());
    if (fresh) {
      size_t s = cf.find(0, encode_name(cab_name, false));
      if (s == cfb::CompoundFile::npos)
        fail(pkg, "embedded cabinet '" + cab_name + "' (Media table) is missing");
      auto src = cf.stream(s);
      auto range = src->file_range();
      if (!range) range = io::materialize(*src, temp);
      Cabinet c;
      c.name = cab_name;
      c.stream = s;
      c.opened = cab_format().open(io::range_source(*range, pkg + "/" + cab_name), limits);
      std::map<std::string, size_t> keys;
      for (size_t i = 0; i < c.opened->entries().size(); ++i) keys[c.opened->entries()[i].path] = i;
      cab_keys.push_back(std::move(keys));
      p.cabinets.push_back(std::move(c));
    }
    auto hit = cab_keys[ci->second].find(key);
    if (hit == cab_keys[ci->second].end()) {
      if (f_attr != Table::npos && (file_t->integer(r, f_attr).value_or(0) & kAttrNoncompressed)) continue;
      fail(pkg, "file '" + key + "' is not in its cabinet '" + cab_name + "'");
    }
    auto comp = comp_dir.find(db.text(*file_t, r, f_comp));
    if (comp == comp_dir.end())
      fail(pkg, "file '" + key + "' belongs to a component missing from the Component table");
    Found f;
    f.seq = seq;
    f.file.file_row = r;
    f.file.key = key;
    f.file.cabinet = ci->second;
    f.file.cab_entry = hit->second;
    f.file.size = p.cabinets[ci->second].opened->entries()[hit->second].size;
    f.dirs = dirs.segments(comp->second);
    f.name = long_name(db.text(*file_t, r, f_name), false);
    found.push_back(std::move(f));
  }
  if (found.size() > limits.max_entries) {
    fail(pkg, "the package installs " + num(found.size()) + " files, more than the limit of " +
                  num(limits.max_entries));
  }

  // Drop the leading directories every file shares.
  size_t common = found.empty() ? 0 : found[0].dirs.size();
  for (const auto& f : found) {
    size_t k = 0;
    while (k < common && k < f.dirs.size() && io::ascii_iequals(f.dirs[k], found[0].dirs[k])) ++k;
    common = k;
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.seq < b.seq; });
  std::map<std::string, std::string> seen;
  for (auto& f : found) {
    std::string path;
    for (size_t k = common; k < f.dirs.size(); ++k) path += f.dirs[k] + "/";
    path += f.name;
    for (size_t k = common; k <= f.dirs.size(); ++k) {
      const std::string& seg = k < f.dirs.size() ? f.dirs[k] : f.name;
      if (seg.find_first_of("/\\") != std::string::npos)
        fail(pkg, "file '" + f.file.key + "': the name '" + seg + "' contains a path separator");
    }
    if (auto why = cab::path_problem(path); !why.empty())
      fail(pkg, "file '" + f.file.key + "' installs as '" + path + "': " + why);
    auto [it, fresh] = seen.emplace(io::ascii_lower(path), f.file.key);
    if (!fresh)
      fail(pkg, "files '" + it->second + "' and '" + f.file.key + "' both install as '" + path + "'");
    f.file.path = path;
    p.entries.push_back(Entry{path, f.file.size, false});
    p.files.push_back(std::move(f.file));
  }
  return p;
}

}  // namespace signet::formats::msi
