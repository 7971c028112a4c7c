#include "config/xml.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <mutex>

namespace signet::config::detail {

namespace {

struct ParseState {
  bool failed = false;
  bool doctype = false;
  std::string message;
  int line = 0;
  int column = 0;
  int code = 0;
};

struct CtxtFree {
  void operator()(xmlParserCtxt* c) const {
    if (c->myDoc) xmlFreeDoc(c->myDoc);
    c->myDoc = nullptr;
    xmlFreeParserCtxt(c);
  }
};
using CtxtPtr = std::unique_ptr<xmlParserCtxt, CtxtFree>;

std::string trim_message(const char* m) {
  std::string s = m ? m : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Rewrites libxml2's most common messages into ones that name both tags.
std::string describe(const xmlError* e) {
  auto str = [](const char* s) { return std::string(s ? s : "?"); };
  switch (e->code) {
    case XML_ERR_TAG_NAME_MISMATCH:
      return "end tag </" + str(e->str2) + "> does not match the open start tag <" + str(e->str1) +
             "> (line " + std::to_string(e->int1) + "): close <" + str(e->str1) + "> with </" + str(e->str1) +
             ">";
    case XML_ERR_TAG_NOT_FINISHED:
      return "start tag <" + str(e->str1) + "> (line " + std::to_string(e->int1) +
             ") is never closed before the end of the document";
    default:
      return trim_message(e->message);
  }
}

extern "C" void on_error(void* user, xmlError* e) {
  auto* ctxt = static_cast<xmlParserCtxt*>(user);
  auto* st = ctxt ? static_cast<ParseState*>(ctxt->_private) : nullptr;
  if (!st || st->failed || !e || e->level < XML_ERR_ERROR) return;
  // An xmlns value that is not a URI leaves a namespace; the loader then names the expected one.
  if (e->domain == XML_FROM_NAMESPACE && (e->code == XML_WAR_NS_URI || e->code == XML_WAR_NS_URI_RELATIVE))
    return;
  st->failed = true;
  st->message = describe(e);
  st->line = e->line;
  st->column = e->int2;
  st->code = e->code;
}

extern "C" void on_doctype(void* user, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxt*>(user);
  auto* st = static_cast<ParseState*>(ctxt->_private);
  if (st && !st->failed) {
    st->failed = true;
    st->doctype = true;
    st->message = "a DOCTYPE declaration is not allowed in an artifact configuration";
  }
  xmlStopParser(ctxt);
}

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// libxml2 reports a mismatched end tag after its name; point at its "</" instead.
void point_at_end_tag(std::string_view text, ParseState& st) {
  auto continuation = [&](size_t i) { return (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  size_t offset = 0;
  for (int line = 1; line < st.line && offset < text.size();) {
    if (text[offset++] == '\n') ++line;
  }
  size_t line_start = offset;
  for (int col = 1; col < st.column && offset < text.size(); ++col) {
    ++offset;
    while (offset < text.size() && continuation(offset)) ++offset;
  }
  auto open = text.substr(0, std::min(offset + 1, text.size())).rfind("</");
  if (open == std::string_view::npos || open < line_start) return;
  int col = 1;
  for (size_t i = line_start; i < open; ++i) {
    if (!continuation(i)) ++col;
  }
  st.column = col;
}

}  // namespace

XmlDocPtr parse_xml(std::string_view text, const std::string& name) {
  init_libxml();
  if (text.size() > kMaxConfigurationSize) {
    throw io::Error(
        "the configuration is larger than " + std::to_string(kMaxConfigurationSize / 1024 / 1024) + " MiB",
        io::Location{name});
  }
  auto byte = [&](size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 1; };
  if ((byte(0) == 0xFE && byte(1) == 0xFF) || (byte(0) == 0xFF && byte(1) == 0xFE) || byte(0) == 0 ||
      byte(1) == 0) {
    throw io::Error("the configuration must be encoded in UTF-8 (found UTF-16 or UTF-32)",
                    io::Location{name, 1, 1});
  }
  if (text.empty()) throw io::Error("the configuration is empty", io::Location{name, 1, 1});
  CtxtPtr ctxt(xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!ctxt) throw io::Error("out of memory creating the XML parser", io::Location{name});
  ParseState st;
  ctxt->_private = &st;
  ctxt->sax->serror = on_error;
  ctxt->sax->internalSubset = on_doctype;
  ctxt->sax->externalSubset = nullptr;
  ctxt->sax->resolveEntity = nullptr;
  // No XML_PARSE_NOENT/DTDLOAD/DTDATTR/XINCLUDE/HUGE: nothing is fetched or expanded.
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
  xmlParseDocument(ctxt.get());
  if (st.doctype) {
    auto pos = text.find("<!DOCTYPE");
    int line = 1, col = 1;
    for (size_t i = 0; pos != std::string_view::npos && i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++col;
      }
    }
    throw io::Error(st.message, io::Location{name, line, col});
  }
  if (st.code == XML_ERR_TAG_NAME_MISMATCH) point_at_end_tag(text, st);
  if (st.failed || !ctxt->wellFormed || !ctxt->myDoc) {
    if (!st.failed) st.message = "the XML could not be parsed";
    throw io::Error("malformed XML: " + st.message, io::Location{name, st.line, st.column});
  }
  XmlDocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  auto enc = to_sv(doc->encoding);
  if (!enc.empty() && !ascii_iequal(enc, "utf-8") && !ascii_iequal(enc, "utf8") &&
      !ascii_iequal(enc, "us-ascii") && !ascii_iequal(enc, "ascii")) {
    throw io::Error("the configuration must be encoded in UTF-8, not '" + std::string(enc) + "'",
                    io::Location{name, 1, 1});
  }
  return doc;
}

std::string attribute_qname(const xmlAttr* a) {
  std::string n(to_sv(a->name));
  if (a->ns && a->ns->prefix) n = std::string(to_sv(a->ns->prefix)) + ":" + n;
  return n;
}

std::string attribute_value(const xmlAttr* a) {
  std::string v;
  for (const xmlNode* c = a->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE) v += to_sv(c->content);
  }
  return v;
}

SourceMap::SourceMap(std::string_view text, const xmlDoc* doc, std::string file)
    : file_(std::move(file)), text_(text) {
  size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  line_starts_.push_back(start);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
  if (!doc) return;
  tags_ = scan(text);
  // Pre-order walk of the element nodes pairs them with the start tags in document order.
  std::vector<const xmlNode*> stack;
  for (const xmlNode* n = doc->children; n; n = n->next) stack.push_back(n);
  std::reverse(stack.begin(), stack.end());
  size_t i = 0;
  std::unordered_map<const xmlNode*, size_t> index;
  while (!stack.empty()) {
    const xmlNode* n = stack.back();
    stack.pop_back();
    if (n->type != XML_ELEMENT_NODE) continue;
    index[n] = i++;
    std::vector<const xmlNode*> kids;
    for (const xmlNode* c = n->children; c; c = c->next) kids.push_back(c);
    stack.insert(stack.end(), kids.rbegin(), kids.rend());
  }
  if (i == tags_.size()) index_ = std::move(index);  // otherwise fall back to libxml2's lines
}

std::vector<SourceMap::Tag> SourceMap::scan(std::string_view t) const {
  std::vector<Tag> tags;
  auto skip_to = [&](size_t from, std::string_view end) {
    auto p = t.find(end, from);
    return p == std::string_view::npos ? t.size() : p + end.size();
  };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t pos = 0;
  while ((pos = t.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = t.substr(pos);
    if (rest.starts_with("<!--")) {
      pos = skip_to(pos + 4, "-->");
    } else if (rest.starts_with("<![CDATA[")) {
      pos = skip_to(pos + 9, "]]>");
    } else if (rest.starts_with("<?")) {
      pos = skip_to(pos + 2, "?>");
    } else if (rest.starts_with("<!") || rest.starts_with("</")) {
      pos = skip_to(pos + 2, ">");
    } else {
      Tag tag;
      tag.offset = pos;
      size_t i = pos + 1;
      while (i < t.size() && !is_space(t[i]) && t[i] != '>' && t[i] != '/') ++i;
      for (;;) {
        while (i < t.size() && is_space(t[i])) ++i;
        if (i >= t.size() || t[i] == '>' || t[i] == '/') break;
        size_t name_start = i;
        while (i < t.size() && !is_space(t[i]) && t[i] != '=') ++i;
        std::string qname(t.substr(name_start, i - name_start));
        while (i < t.size() && (is_space(t[i]) || t[i] == '=')) ++i;
        if (i >= t.size()) break;
        char quote = t[i];
        auto close = t.find(quote, i + 1);
        i = close == std::string_view::npos ? t.size() : close + 1;
        // Namespace declarations are not attributes in the parsed tree.
        if (qname != "xmlns" && !qname.starts_with("xmlns:")) tag.attributes.emplace_back(qname, name_start);
      }
      tags.push_back(std::move(tag));
      pos = skip_to(i, ">");
    }
  }
  return tags;
}

io::Location SourceMap::at(size_t offset) const {
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  size_t line = static_cast<size_t>(it - line_starts_.begin());
  size_t start = line_starts_[line - 1];
  int col = 1;
  for (size_t i = start; i < offset && i < text_.size(); ++i) {
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++col;
  }
  return io::Location{file_, static_cast<int>(line), col};
}

io::Location SourceMap::element(const xmlNode* node) const {
  if (node && node->type == XML_ATTRIBUTE_NODE) {
    return attribute(node->parent, attribute_qname(reinterpret_cast<const xmlAttr*>(node)));
  }
  auto it = index_.find(node);
  if (it != index_.end()) return at(tags_[it->second].offset);
  long line = node ? xmlGetLineNo(node) : 0;
  return io::Location{file_, line > 0 ? static_cast<int>(line) : 0, 0};
}

io::Location SourceMap::attribute(const xmlNode* element, std::string_view qname) const {
  auto it = index_.find(element);
  if (it != index_.end()) {
    for (const auto& [name, offset] : tags_[it->second].attributes) {
      if (name == qname) return at(offset);
    }
  }
  return this->element(element);
}

}  // namespace signet::config::detail
