#pragma once
// The messages networks brought lately, as the router's duplicate check knows them: a
// network that sends a message again after a restart (an RCS platform whose webhook the
// bridge stored but did not answer before a crash) gets it acknowledged, not delivered
// twice (DESIGN.md §4).

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "store/db.hpp"

namespace passerelle::store {

struct RecentOrigin {
  std::string connector;  // the connector that brought it
  std::string from;       // its sender, as an address ("rcs:+33611111111")
  std::string origin_id;  // the network's id for it
  std::int64_t created_ms = 0;
};

// Messages stored since `since_ms` that carry a network id, oldest first. Their ids are
// ULIDs, which sort by time: the range is read through the primary key, not the table.
Status load_recent_origins(Db& db, std::int64_t since_ms,
                           const std::function<void(RecentOrigin)>& row);

}  // namespace passerelle::store
