// OscarSession, signed on: the server-stored buddy list (FEEDBAG/SSI, family 0x0013),
// ICQ authorization, and ICQ offline messages (family 0x0015), fetched at sign-on and
// deleted once committed.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cstdio>
#include <set>

#include "oscar/codec/families.hpp"
#include "oscar/codec/icq.hpp"
#include "oscar/convert/convert.hpp"
#include "oscar/session/session.hpp"

namespace passerelle::oscar {

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// FEEDBAG 0x0018 (authorization request) and 0x001A (reply): screen name (u8 length),
// then a u16-prefixed reason; the request ends with a u16 0, the reply has a u8 verdict
// before the reason (OSCAR protocol documentation, FEEDBAG 0x0018..0x001B).
Bytes auth_request_body(const std::string& sn, const std::string& reason) {
  Bytes b;
  (void)append_screen_name(b, sn);
  put_u16(b, static_cast<std::uint16_t>(reason.size()));
  put_string(b, reason);
  put_u16(b, 0);
  return b;
}
Bytes auth_reply_body(const std::string& sn, bool accept, const std::string& reason) {
  Bytes b;
  (void)append_screen_name(b, sn);
  put_u8(b, accept ? 1 : 0);
  put_u16(b, static_cast<std::uint16_t>(reason.size()));
  put_string(b, reason);
  return b;
}

}  // namespace

// ---- feedbag (SSI) and authorization -----------------------------------------------

void OscarSession::on_feedbag(const SnacView& s) {
  switch (s.header.subtype) {
    case feedbag::reply: {
      auto r = parse_feedbag_reply(s.body);
      if (r)
        for (auto& it : r->items) feedbag_.push_back(std::move(it));
      if (!(s.header.flags & snac_flag::more_follows) && !feedbag_done_) {
        feedbag_done_ = true;
        signed_on();
      }
      return;
    }
    case feedbag::reply_not_modified:
      if (!feedbag_done_) {
        feedbag_done_ = true;
        signed_on();
      }
      return;
    case feedbag::status: {
      auto st = parse_feedbag_status(s.body);
      auto op = feedbag_ops_.find(s.header.request_id);
      if (op == feedbag_ops_.end() || !st) return;
      auto items = std::move(op->second);
      feedbag_ops_.erase(op);
      for (std::size_t i = 0; i < items.size() && i < st->size(); ++i) {
        const auto code = (*st)[i];
        if (code == feedbag_status::success) {
          feedbag_.push_back(items[i]);
        } else if (code == feedbag_status::requires_authorization &&
                   items[i].class_id == feedbag_class::buddy) {
          // ICQ: the contact must authorize us. Keep them on the list as pending and ask.
          FeedbagItem pending = items[i];
          pending.attributes.push_back(Tlv{feedbag_attr::pending_auth, {}});
          Bytes b;
          if (append_feedbag_items(b, {pending})) {
            const auto rid = send(family::feedbag, feedbag::insert_item, std::move(b));
            feedbag_ops_[rid] = {pending};
          }
          send(family::feedbag, feedbag::request_authorize,
               auth_request_body(pending.name, "Please authorize me (via passerelle)"));
        } else if (code != feedbag_status::already_exists) {
          log_->warn("{}: buddy list change for {} refused: {}", login_, items[i].name,
                     feedbag_status_reason(code));
        }
      }
      return;
    }
    case feedbag::authorize_request:
    case feedbag::buddy_added: {
      ByteReader r(s.body);
      auto sn = read_screen_name(r);
      if (!sn) return;
      owner_.publish(InboundSubscription{connector_, buddy_address(*sn), self_,
                                         SubscriptionAction::subscribe});
      return;
    }
    case feedbag::authorize_reply: {
      ByteReader r(s.body);
      auto sn = read_screen_name(r);
      std::uint8_t verdict = 0;
      if (!sn || !r.u8(verdict)) return;
      owner_.publish(InboundSubscription{
          connector_, buddy_address(*sn), self_,
          verdict ? SubscriptionAction::subscribed : SubscriptionAction::unsubscribed});
      return;
    }
    default:
      return;
  }
}

void OscarSession::subscription(const std::string& contact, SubscriptionAction a) {
  if (!online_) return;
  switch (a) {
    case SubscriptionAction::subscribe:
      return add_buddy(contact);
    case SubscriptionAction::unsubscribe:
      return remove_buddy(contact);
    case SubscriptionAction::subscribed:
    case SubscriptionAction::unsubscribed:
      // The person answers a contact's authorization request.
      send(family::feedbag, feedbag::respond_authorize,
           auth_reply_body(contact, a == SubscriptionAction::subscribed, ""));
      return;
  }
}

void OscarSession::add_buddy(const std::string& sn) {
  const std::string norm = normalize_screen_name(sn);
  std::set<std::uint16_t> group_ids, item_ids;
  const FeedbagItem* group = nullptr;
  for (const auto& it : feedbag_) {
    if (it.class_id == feedbag_class::buddy && normalize_screen_name(it.name) == norm) return;
    if (it.class_id == feedbag_class::group && it.group_id != 0) {
      group_ids.insert(it.group_id);
      if (!group) group = &it;
    }
    item_ids.insert(it.item_id);
  }
  std::vector<FeedbagItem> items;
  std::uint16_t gid = group ? group->group_id : 0;
  if (!group) {
    gid = 1;
    while (group_ids.count(gid)) ++gid;
    items.push_back(FeedbagItem{"Buddies", gid, 0, feedbag_class::group, {}});
  }
  std::uint16_t iid = 1;
  while (item_ids.count(iid)) ++iid;
  items.push_back(FeedbagItem{sn, gid, iid, feedbag_class::buddy, {}});
  send(family::feedbag, feedbag::start_cluster, {});
  for (auto& item : items) {
    Bytes b;
    if (!append_feedbag_items(b, {item})) continue;
    const auto rid = send(family::feedbag, feedbag::insert_item, std::move(b));
    feedbag_ops_[rid] = {item};
  }
  send(family::feedbag, feedbag::end_cluster, {});
}

void OscarSession::remove_buddy(const std::string& sn) {
  const std::string norm = normalize_screen_name(sn);
  for (auto it = feedbag_.begin(); it != feedbag_.end(); ++it) {
    if (it->class_id != feedbag_class::buddy || normalize_screen_name(it->name) != norm) continue;
    Bytes b;
    if (append_feedbag_items(b, {*it})) send(family::feedbag, feedbag::delete_item, std::move(b));
    feedbag_.erase(it);
    return;
  }
}

// ---- ICQ offline messages -----------------------------------------------------------

void OscarSession::on_icq(const SnacView& s) {
  if (s.header.subtype != icq::db_reply) return;
  auto meta = parse_icq_meta(s.body);
  if (!meta) return;
  if (meta->type == icq_meta::offline_message) {
    auto om = parse_icq_offline_message(meta->data);
    if (!om) return;
    if (om->type == icq_msg_type::auth_request || om->type == icq_msg_type::added) {
      owner_.publish(InboundSubscription{connector_, buddy_address(std::to_string(om->sender)),
                                         self_, SubscriptionAction::subscribe});
      return;
    }
    InboundMessage m;
    m.connector = connector_;
    m.from = buddy_address(std::to_string(om->sender));
    m.to = self_;
    m.body = icq_text_utf8(om->text);
    // ICQ offline messages have no cookie: sender, time and text make a stable id, so a
    // message fetched twice (not deleted before a restart) is recognised.
    char id[64];
    std::snprintf(id, sizeof id, "icq-offline-%u-%04u%02u%02u%02u%02u-%zu", om->sender, om->year,
                  om->month, om->day, om->hour, om->minute, std::hash<std::string>{}(m.body));
    m.origin_id = id;
    m.received_ms = wall_ms();
    ++offline_pending_;
    ++offline_received_;
    std::weak_ptr<OscarSession> weak = shared_from_this();
    m.ack = [weak, strand = strand_, gen = generation_](Status st) {
      asio::post(strand, [weak, ok = st.ok(), gen] {
        if (auto self = weak.lock()) self->offline_message_committed(ok, gen);
      });
    };
    owner_.publish(std::move(m));
  } else if (meta->type == icq_meta::offline_done) {
    offline_done_ = true;
    maybe_delete_offline();
  }
}

// Deletes the stored messages once every one of them is committed to passerelle's store
// (DESIGN.md §4): one that was refused keeps them all on the server for the next login
// (ICQ deletes all or nothing).
void OscarSession::offline_message_committed(bool ok, std::uint64_t generation) {
  if (generation != generation_) return;  // an ack from before a reconnect
  if (offline_pending_ > 0) --offline_pending_;
  if (!ok) offline_failed_ = true;
  maybe_delete_offline();
}

void OscarSession::maybe_delete_offline() {
  if (!offline_done_ || offline_pending_ > 0 || offline_failed_ || offline_received_ == 0 ||
      !online_)
    return;
  offline_received_ = 0;
  IcqMeta m;
  m.uin = static_cast<std::uint32_t>(std::strtoul(login_.c_str(), nullptr, 10));
  m.type = icq_meta::offline_ack;
  m.sequence = icq_seq_++;
  Bytes mb;
  if (append_icq_meta(mb, m)) send(family::icq, icq::db_query, std::move(mb));
}

}  // namespace passerelle::oscar
