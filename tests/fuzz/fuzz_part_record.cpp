// The SMS part journal's records (smpp/codec/part_record.hpp): any line either is refused
// or parses into a record that is written back to the same record.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smpp/codec/part_record.hpp"

using namespace passerelle::smpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto r = parse_journal_line(line);
  if (!r) return 0;
  const Concat c = *r->part.concat;
  if (c.total < 1) std::abort();
  const std::string again =
      r->done ? journal_done_line(r->part.source, r->part.destination, c.ref, c.total)
              : journal_part_line(r->part);
  auto back = parse_journal_line(again);
  if (!back || back->done != r->done || back->part.source != r->part.source ||
      back->part.destination != r->part.destination || back->part.concat != r->part.concat ||
      back->part.data != r->part.data || back->part.data_coding != r->part.data_coding)
    std::abort();
  if (!r->done && (c.seq < 1 || c.seq > c.total)) std::abort();
  return 0;
}
