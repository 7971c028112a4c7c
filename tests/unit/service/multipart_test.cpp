// The streaming multipart parser and form binding: every split of the input, hostile and
// malformed bodies, field name spellings.
#include "service/multipart.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "io/file.hpp"
#include "service/form.hpp"
#include "service/http_server.hpp"

namespace signet::service {
namespace {

struct Part {
  PartHeaders headers;
  std::string data;
  bool ended = false;
};

class Recorder : public MultipartHandler {
 public:
  std::vector<Part> parts;
  void on_part_begin(const PartHeaders& h) override { parts.push_back({h, "", false}); }
  void on_part_data(std::span<const uint8_t> d) override {
    ASSERT_FALSE(parts.empty());
    ASSERT_FALSE(parts.back().ended);
    parts.back().data.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  void on_part_end() override { parts.back().ended = true; }
};

std::string body(const std::string& b) {
  return "preamble to ignore\r\n--" + b +
         "\r\nContent-Disposition: form-data; name=\"projectSlug\"\r\n\r\napp\r\n--" + b +
         "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"a b.zip\"\r\nContent-Type: "
         "application/octet-stream\r\n\r\nPK\x03\x04\r\n--not-the-boundary\r\n\r\n--" +
         b.substr(0, 3) + "\r\n--" + b +
         "  \r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--" + b + "--\r\nepilogue";
}

TEST(ServiceMultipart, WholeBody) {
  std::string b = "XYZboundary";
  Recorder r;
  MultipartParser p(b, r);
  p.feed(body(b));
  p.finish();
  EXPECT_TRUE(p.done());
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_EQ(r.parts[1].data.substr(0, 4), "PK\x03\x04");
  EXPECT_NE(r.parts[1].data.find("--not-the-boundary"), std::string::npos);
  EXPECT_EQ(r.parts[1].data.substr(r.parts[1].data.size() - 5), "--XYZ");
}

TEST(ServiceMultipart, EverySplitPointAndByteByByte) {
  std::string b = "XYZboundary";
  std::string text = body(b);
  Recorder whole;
  {
    MultipartParser p(b, whole);
    p.feed(text);
    p.finish();
  }
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Recorder r;
    MultipartParser p(b, r);
    p.feed(std::string_view(text).substr(0, cut));
    p.feed(std::string_view(text).substr(cut));
    p.finish();
    ASSERT_EQ(r.parts.size(), whole.parts.size()) << "cut at " << cut;
    for (size_t i = 0; i < r.parts.size(); ++i)
      EXPECT_EQ(r.parts[i].data, whole.parts[i].data) << "cut at " << cut;
  }
  Recorder r;
  MultipartParser p(b, r);
  for (char c : text) p.feed(std::string_view(&c, 1));
  p.finish();
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_EQ(r.parts[1].data, whole.parts[1].data);
}

TEST(ServiceMultipart, LargeFilePartStreamsWithBoundedBuffer) {
  std::string b = "b0undary";
  std::mt19937 rng(7);
  std::string payload(3 << 20, '\0');
  for (auto& c : payload) c = static_cast<char>(rng());
  // A payload full of near-delimiters.
  for (size_t i = 0; i < payload.size(); i += 4099) payload.replace(i, 10, "\r\n--b0unda");
  std::string text = "--" + b +
                     "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"x\"\r\n\r\n" +
                     payload + "\r\n--" + b + "--\r\n";
  Recorder r;
  MultipartParser p(b, r);
  for (size_t i = 0; i < text.size(); i += 65536) p.feed(std::string_view(text).substr(i, 65536));
  p.finish();
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].data, payload);
}

TEST(ServiceMultipart, MalformedInputIsAnError) {
  std::string b = "B";
  auto parse = [&](const std::string& text) {
    Recorder r;
    MultipartParser p(b, r);
    p.feed(text);
    p.finish();
  };
  EXPECT_THROW(parse(""), MultipartError);
  EXPECT_THROW(parse("no boundary anywhere"), MultipartError);
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue"),
               MultipartError);                                                                  // no close
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n"), MultipartError);  // in headers
  EXPECT_THROW(parse("--Bjunk\r\n\r\n--B--"), MultipartError);  // delimiter not followed by CRLF
  EXPECT_THROW(parse("--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--"), MultipartError);  // no disposition
  EXPECT_THROW(parse("--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--B--"), MultipartError);
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data\r\n\r\nv\r\n--B--"), MultipartError);  // no name
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--B--"), MultipartError);
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--B--"),
               MultipartError);  // quote
  EXPECT_THROW(parse("--B\r\nContent-Disposition: form-data; name=a\r\n folded\r\n\r\nv\r\n--B--"),
               MultipartError);
  EXPECT_THROW(parse("--B\r\nno colon here\r\n\r\nv\r\n--B--"), MultipartError);
  EXPECT_THROW(
      parse("--B\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\n"
            "v\r\n--B--"),
      MultipartError);
  // A part without headers at all is not a form field.
  EXPECT_THROW(parse("--B\r\n\r\nvalue\r\n--B--"), MultipartError);
  // The well-formed minimum passes.
  EXPECT_NO_THROW(parse("--B\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--B--"));
}

TEST(ServiceMultipart, HostileLimits) {
  std::string b = "B";
  {
    Recorder r;
    MultipartParser p(b, r, MultipartLimits{1024, 1000});
    std::string huge =
        "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(5000, 'x');
    EXPECT_THROW(p.feed(huge), MultipartError);  // header block over the limit, even before its end
  }
  {
    Recorder r;
    MultipartParser p(b, r, MultipartLimits{1024, 10});
    std::string many;
    for (int i = 0; i < 11; ++i) many += "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n";
    EXPECT_THROW(p.feed(many), MultipartError);
  }
  {
    Recorder r;
    MultipartParser p(b, r);
    EXPECT_THROW(p.feed("--B" + std::string(300, ' ') + "\r\n"), MultipartError);  // endless padding
  }
  {
    // A long preamble without a boundary keeps only a delimiter's worth of bytes.
    Recorder r;
    MultipartParser p(b, r);
    for (int i = 0; i < 1000; ++i) p.feed(std::string(4096, '-'));
    EXPECT_THROW(p.finish(), MultipartError);
  }
}

TEST(ServiceMultipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\""), "a b:c");
  EXPECT_THROW(multipart_boundary("application/json"), MultipartError);
  EXPECT_THROW(multipart_boundary("multipart/form-data"), MultipartError);
  EXPECT_THROW(multipart_boundary("multipart/form-data; boundary="), MultipartError);
  EXPECT_THROW(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')), MultipartError);
  EXPECT_THROW(multipart_boundary("multipart/form-data; boundary=\"a\r\nb\""), MultipartError);
  EXPECT_EQ(header_param("form-data; name=\"x\"; filename*=UTF-8''%C3%A4.zip", "filename").value_or(""),
            "\xC3\xA4.zip");
  EXPECT_EQ(header_param("form-data; name=\"a;b\"", "name").value_or(""), "a;b");
  EXPECT_EQ(header_param("form-data; name=\"a\\\"b\"", "name").value_or(""), "a\"b");
}

TEST(ServiceForm, CanonicalFieldNames) {
  EXPECT_EQ(canonical_field("projectSlug").value(), "projectslug");
  EXPECT_EQ(canonical_field("ProjectSlug").value(), "projectslug");
  EXPECT_EQ(canonical_field("PROJECTSLUG").value(), "projectslug");
  EXPECT_EQ(canonical_field("parameters.version").value(), "parameters.version");
  EXPECT_EQ(canonical_field("Parameters.Version").value(),
            "parameters.Version");  // dictionary keys keep their case
  EXPECT_EQ(canonical_field("Parameters[version]").value(), "parameters.version");
  EXPECT_EQ(canonical_field("Origin.RepositoryData.Url").value(), "origin.repositorydata.url");
  EXPECT_EQ(canonical_field("Origin[RepositoryData][Url]").value(), "origin.repositorydata.url");
  EXPECT_EQ(canonical_field("Origin[RepositoryData].Url").value(), "origin.repositorydata.url");
  EXPECT_EQ(canonical_field("ArtifactRetrievalLink.HttpHeaders[0].Key").value(),
            "artifactretrievallink.httpheaders.0.key");
  EXPECT_EQ(canonical_field("unsignedArtifactMetadata.sha256Hash").value(),
            "unsignedartifactmetadata.sha256hash");
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "a[", "a[]", "a]b", "a[b", "a[b]c", "a[[b]]",
                          "parameters", "parameters.a.b", "a\nb", "x[y]."}) {
    EXPECT_FALSE(canonical_field(bad).has_value()) << bad;
  }
}

TEST(ServiceForm, CollectorWritesFilesAndBindsFields) {
  io::TempDir dir;
  ArtifactStore store(dir.path());
  FormData f;
  FormCollector c(store, {"artifact"}, f);
  MultipartParser p("B", c);
  p.feed(
      "--B\r\nContent-Disposition: form-data; name=\"ProjectSlug\"\r\n\r\napp\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"Parameters[v]\"\r\n\r\n1.0\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"Artifact\"; filename=\"a.zip\"\r\n\r\nBYTES\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"other\"; filename=\"ignored.bin\"\r\n\r\nXX\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"projectslug\"\r\n\r\ndup\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"bad[\"\r\n\r\nx\r\n--B--\r\n");
  p.finish();
  EXPECT_EQ(f.value("projectslug"), "app");
  EXPECT_EQ(f.dictionary("parameters"), (std::map<std::string, std::string>{{"v", "1.0"}}));
  ASSERT_EQ(f.files.count("artifact"), 1u);
  EXPECT_EQ(f.files["artifact"].filename, "a.zip");
  EXPECT_EQ(f.files["artifact"].data->size(), 5u);
  EXPECT_EQ(f.files["artifact"].data->sha256(),
            "7beb23b48f4fe9109f7cf593f427eec383dee0c07cea52c37a2feee28c3a8c5f");
  EXPECT_EQ(f.files.count("other"), 0u);
  ASSERT_EQ(f.problems.size(), 2u);
  EXPECT_NE(f.problems[0].find("more than once"), std::string::npos);
  EXPECT_NE(f.problems[1].find("bad["), std::string::npos);
  std::string sha = store.adopt(*f.files["artifact"].data);
  std::ifstream in(store.path_of(sha), std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(stored, "BYTES");
}

TEST(ServiceForm, UrlEncoded) {
  FormData f;
  parse_urlencoded(
      "originalSigningRequestId=abc&SigningPolicySlug=release%2Dsigning&description=a+b%21&Parameters%5Bv%5D="
      "2",
      f);
  EXPECT_EQ(f.value("originalsigningrequestid"), "abc");
  EXPECT_EQ(f.value("signingpolicyslug"), "release-signing");
  EXPECT_EQ(f.value("description"), "a b!");
  EXPECT_EQ(f.value("parameters.v"), "2");
  EXPECT_TRUE(f.problems.empty());
  EXPECT_EQ(http::percent_decode("%zz%4+", true), "%zz%4 ");
}

}  // namespace
}  // namespace signet::service
