// <create-gpg-signature> through the Method interface: attribute validation at load time, and
// apply() end to end, checked by gpgv and rnp with a tampered-data control.
#include <gtest/gtest.h>

#include "crypto/openpgp/openpgp.hpp"
#include "crypto/openpgp_test_util.hpp"
#include "io/error.hpp"
#include "methods/method.hpp"

namespace pgp = signet::crypto::openpgp;
using namespace signet;
using namespace signet::testing;

namespace {

config::Directive directive(const std::vector<std::pair<std::string, std::string>>& attrs) {
  config::Directive d;
  d.name = "create-gpg-signature";
  d.where = {"cfg.xml", 7, 5};
  int col = 30;
  for (const auto& [name, value] : attrs) d.attributes.push_back({name, value, {"cfg.xml", 7, col += 10}});
  return d;
}

// The error create_method throws for these attributes (message and column), or none.
std::pair<std::string, int> factory_error(const std::vector<std::pair<std::string, std::string>>& attrs) {
  try {
    methods::create_method(directive(attrs));
  } catch (const io::Error& e) {
    EXPECT_EQ(e.where().file, "cfg.xml");
    EXPECT_EQ(e.where().line, 7);
    return {e.message(), e.where().column};
  }
  return {"", 0};
}

}  // namespace

TEST(GpgSignatureMethod, ValidatesAttributes) {
  auto m = methods::create_method(directive({{"output-file-name", "${file.name}.asc"}}));
  EXPECT_EQ(m->directive(), "create-gpg-signature");
  EXPECT_EQ(m->category(), methods::Category::detached);
  EXPECT_EQ(m->key_need(), methods::KeyNeed::openpgp);
  EXPECT_EQ(m->output_file_name("myfile.bin"), "myfile.bin.asc");
  auto spaced = methods::create_method(directive({{"output-file-name", " ${file.name}.sig "}}));
  EXPECT_EQ(spaced->output_file_name("a.tar.gz"), "a.tar.gz.sig");
  EXPECT_NO_THROW(methods::create_method(directive({{"output-file-name", "x.sig"},
                                                    {"output-encoding", "binary"},
                                                    {"hash-algorithm", "sha512"},
                                                    {"version", "4"}})));

  auto [missing, mcol] = factory_error({{"output-encoding", "binary"}});
  EXPECT_NE(missing.find("output-file-name is required"), std::string::npos) << missing;
  EXPECT_EQ(mcol, 5);  // the directive itself
  EXPECT_EQ(factory_error({{"output-file-name", "  "}}).second, 40);
  EXPECT_EQ(factory_error({{"output-file-name", "../x.asc"}}).second, 40);
  auto [enc, ecol] = factory_error({{"output-file-name", "x"}, {"output-encoding", "pem"}});
  EXPECT_NE(enc.find("'ascii-armored' or 'binary'"), std::string::npos) << enc;
  EXPECT_EQ(ecol, 50);
  auto [hash, hcol] = factory_error({{"output-file-name", "x"}, {"hash-algorithm", "sha1"}});
  EXPECT_NE(hash.find("sha256, sha384 or sha512"), std::string::npos) << hash;
  EXPECT_EQ(hcol, 50);
  auto [ver, vcol] = factory_error({{"output-file-name", "x"}, {"version", "3"}});
  EXPECT_NE(ver.find("must be 4"), std::string::npos) << ver;
  EXPECT_EQ(vcol, 50);
}

TEST(GpgSignatureMethod, ApplyWithoutKeyNamesTheOption) {
  auto m = methods::create_method(directive({{"output-file-name", "${file.name}.asc"}}));
  methods::Input in{io::memory_source({1, 2, 3}, "a.bin"), nullptr, "a.bin", "dir/a.bin"};
  try {
    m->apply(in, methods::Context{});
    FAIL() << "no error";
  } catch (const io::Error& e) {
    EXPECT_EQ(e.message(), "<create-gpg-signature> needs an OpenPGP key: pass --pgp-key");
  }
}

TEST(GpgSignatureMethod, ApplySignsVerifiably) {
  GpgHome h;
  std::string pass = "method pass";
  std::string fpr = h.generate("Method <m@example.com>", "rsa3072", "sign", pass);
  methods::Context ctx;
  ctx.pgp = pgp::load_secret_key(h.export_secret(fpr, pass, true, "key.asc"), pass);
  auto keyring = h.pub_gpg(), asc = h.pub_asc();

  auto data = h.dir() / "payload.bin", tampered = h.dir() / "tampered.bin";
  write_file(data, std::string(100000, 'x') + "end");
  write_file(tampered, std::string(100000, 'x') + "enD");

  struct Case {
    std::vector<std::pair<std::string, std::string>> attrs;
    std::string name, description;
    bool armored;
  };
  std::vector<Case> cases = {
      {{{"output-file-name", "${file.name}.asc"}},
       "payload.bin.asc",
       "OpenPGP signature sha256, ASCII-armored, key " + fpr,
       true},
      {{{"output-file-name", "${file.name}.sig"},
        {"output-encoding", "binary"},
        {"hash-algorithm", "sha512"}},
       "payload.bin.sig",
       "OpenPGP signature sha512, binary, key " + fpr,
       false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = methods::create_method(directive(c.attrs));
    methods::Input in{io::file_source(data), nullptr, "payload.bin", "sub/payload.bin"};
    methods::Output out = m->apply(in, ctx);
    EXPECT_EQ(out.file_name, c.name);
    EXPECT_EQ(out.description, c.description);
    auto bytes = io::read_all(*out.bytes, 1 << 20);
    std::string text(bytes.begin(), bytes.end());
    EXPECT_EQ(text.rfind("-----BEGIN PGP SIGNATURE-----", 0) == 0, c.armored);
    auto sig = h.dir() / c.name;
    write_file(sig, text);
    auto v = gpgv(keyring, sig, data);
    EXPECT_EQ(v.rc, 0) << v.out;
    auto r = rnp_verify(asc, sig, data, h.dir() / "rnp");
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(gpgv(keyring, sig, tampered).rc, 1);
    EXPECT_NE(rnp_verify(asc, sig, tampered, h.dir() / "rnp").rc, 0);
  }
}
