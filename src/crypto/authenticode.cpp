// Building Authenticode signatures: SpcIndirectDataContent, the Authenticode signed attributes,
// RFC 3161 timestamps as Microsoft's unsigned attribute, and nested signatures.
#include "crypto/authenticode.hpp"

#include "crypto/authenticode_internal.hpp"
#include "crypto/cms.hpp"
#include "io/error.hpp"
#include "io/utf16.hpp"

namespace signet::crypto::authenticode {

namespace {

// SpcString unicode [0] IMPLICIT BMPString.
der::Bytes spc_string(std::string_view utf8) {
  std::u16string u16 = io::utf8_to_utf16(utf8);
  der::Bytes bmp = der::bmp_string(u16);
  return der::retag(der::tag::ctx_prim(0), bmp);
}

// SpcLink file [2] EXPLICIT SpcString "<<<Obsolete>>>", what every Windows tool writes.
der::Bytes obsolete_file_link() {
  return der::explicit_tag(2, spc_string("<<<Obsolete>>>"));
}

// SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL,
//                              moreInfo [1] EXPLICIT SpcLink OPTIONAL }
der::Bytes opus_info(const SignOptions& o) {
  std::vector<der::Bytes> fields;
  if (!o.description.empty()) fields.push_back(der::explicit_tag(0, spc_string(o.description)));
  if (!o.description_url.empty()) {
    // SpcLink url [0] IMPLICIT IA5String
    fields.push_back(
        der::explicit_tag(1, der::retag(der::tag::ctx_prim(0), der::ia5_string(o.description_url))));
  }
  return der::sequence(fields);
}

void check_ia5(const std::string& url) {
  for (unsigned char c : url) {
    if (c >= 0x80) throw io::Error("description-url must be ASCII: '" + url + "'");
  }
}

}  // namespace

der::Bytes data_attribute(std::string_view type_oid, std::span<const uint8_t> value) {
  return der::sequence({der::oid(type_oid), value});
}

der::Bytes pe_image_data_attribute() {
  // SpcPeImageData ::= SEQUENCE { flags SpcPeImageFlags (BIT STRING), file [0] EXPLICIT SpcLink }
  der::Bytes flags = der::bit_string({});
  der::Bytes value = der::sequence({flags, der::explicit_tag(0, obsolete_file_link())});
  return data_attribute(oids::spc_pe_image_data, value);
}

der::Bytes cab_data_attribute() {
  return data_attribute(oids::spc_cab_data, obsolete_file_link());
}

der::Bytes sip_info_attribute(int64_t version, std::span<const uint8_t, 16> guid) {
  std::vector<der::Bytes> fields{der::integer(version), der::octet_string(guid)};
  for (int i = 0; i < 5; ++i) fields.push_back(der::integer(0));
  return data_attribute(oids::spc_sip_info, der::sequence(fields));
}

der::Bytes indirect_data_content(std::span<const uint8_t> data_attr, io::HashAlg alg,
                                 std::span<const uint8_t> file_digest) {
  if (file_digest.size() != io::hash_size(alg)) {
    throw io::Error("file digest length does not match " + std::string(io::hash_alg_name(alg)));
  }
  der::Bytes digest_info = der::sequence({digest_algorithm_id(alg, true), der::octet_string(file_digest)});
  return der::sequence({data_attr, digest_info});
}

der::Bytes sign_content(const Signer& signer, std::string_view content_type,
                        std::span<const uint8_t> econtent, const SignOptions& o) {
  check_ia5(o.description_url);
  SignedDataParams p;
  p.hash = o.hash;
  p.padding = o.padding;
  p.version = 1;
  p.content_type = std::string(content_type);
  p.econtent = der::Bytes(econtent.begin(), econtent.end());
  // Authenticode (PKCS #7 v1.5) digests the eContent's value octets, not its tag and length.
  der::Reader r(econtent, "Authenticode content");
  der::Tlv t = r.next();
  r.expect_end();
  p.message_digest = io::digest(o.hash, t.content);
  p.signing_time = o.signing_time;
  p.algorithm_protection = false;  // Windows' verifier predates RFC 6211; signtool omits it
  p.digest_params_null = true;
  p.extra_signed_attrs = {
      cms_attribute(oids::spc_sp_opus_info, {opus_info(o)}),
      cms_attribute(oids::spc_statement_type, {der::sequence({der::oid(oids::spc_individual_code_signing)})}),
  };
  if (!o.timestamp.urls.empty()) {
    const io::HashAlg alg = o.hash;
    const timestamp::ClientOptions ts = o.timestamp;
    p.unsigned_attrs = [alg, ts](std::span<const uint8_t> signature) {
      der::Bytes token = timestamp::request_token(alg, io::digest(alg, signature), ts);
      return std::vector<der::Bytes>{cms_attribute(oids::ms_rfc3161_timestamp, {token})};
    };
  }
  return build_signed_data(signer, p);
}

der::Bytes sign(const Signer& signer, std::span<const uint8_t> data_attr,
                std::span<const uint8_t> file_digest, const SignOptions& o) {
  der::Bytes content = indirect_data_content(data_attr, o.hash, file_digest);
  return sign_content(signer, oids::spc_indirect_data, content, o);
}

der::Bytes add_nested_signature(std::span<const uint8_t> primary, std::span<const uint8_t> nested) {
  // Check the nested signature is a ContentInfo at all before touching the primary.
  {
    der::Reader r(nested, "nested signature");
    der::Reader ci = r.enter(der::tag::sequence);
    if (der::decode_oid(ci.expect(der::tag::oid).content) != crypto::oids::signed_data) {
      ci.fail("not a SignedData");
    }
    r.expect_end();
  }
  detail::SignedDataView sd = detail::locate_first_signer(primary, "existing signature");

  // Rebuild the unsigned attributes: every other attribute kept byte-exact, the nested
  // signature appended to SPC_NESTED_SIGNATURE's values (created when absent).
  std::vector<der::Bytes> attrs;
  bool added = false;
  if (!sd.unsigned_attrs.empty()) {
    der::Reader ua(
        der::Reader(sd.unsigned_attrs, "unsigned attributes").expect(der::tag::ctx_cons(1)).content,
        "unsigned attributes");
    while (!ua.at_end()) {
      der::Tlv attr = ua.expect(der::tag::sequence);
      der::Reader ar(attr.content, "unsigned attribute");
      der::Tlv type = ar.expect(der::tag::oid);
      der::Tlv values = ar.expect(der::tag::set);
      if (!added && der::decode_oid(type.content) == oids::spc_nested_signature) {
        // Values keep their order (signature index = position), so no SET OF sorting here.
        attrs.push_back(
            der::sequence({type.whole, der::tlv(der::tag::set, der::concat({values.content, nested}))}));
        added = true;
      } else {
        attrs.emplace_back(attr.whole.begin(), attr.whole.end());
      }
    }
  }
  if (!added) {
    attrs.push_back(der::sequence({der::oid(oids::spc_nested_signature), der::tlv(der::tag::set, nested)}));
  }
  der::Bytes new_unsigned = der::tlv(der::tag::ctx_cons(1), der::set_of_content(std::move(attrs)));

  // SignerInfo with the new [1]; then every enclosing TLV re-wrapped around it.
  der::Bytes signer_info = detail::replace_within(
      sd.signer_info,
      sd.unsigned_attrs.empty() ? sd.signer_info.subspan(sd.signer_info.size()) : sd.unsigned_attrs,
      new_unsigned);
  der::Bytes signer_infos = detail::replace_within(sd.signer_infos, sd.signer_info, signer_info);
  der::Bytes signed_data = detail::replace_within(sd.signed_data, sd.signer_infos, signer_infos);
  der::Bytes explicit0 = detail::replace_within(sd.explicit0, sd.signed_data, signed_data);
  return detail::replace_within(sd.content_info, sd.explicit0, explicit0);
}

}  // namespace signet::crypto::authenticode
