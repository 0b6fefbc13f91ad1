// In-band registration from the person's own XMPP client (XEP-0077, XEP-0100): on the
// SMS gateway they set the phone that receives their messages while they are offline;
// on aim./icq./msn. they link the account the bridge signs on for them, or unlink it.
// Registered accounts live in the store (linked_accounts) and sign on again at start-up;
// accounts from the configuration cannot be changed from a client.

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "core/ulid.hpp"
#include "router/internal.hpp"
#include "router/router.hpp"

namespace passerelle {
namespace {

// The connector that signs on to accounts of `n`, empty when none does.
std::string account_connector_name(Network n) {
  switch (n) {
    case Network::aim:
    case Network::icq:
      return "oscar";
    case Network::msn:
      return "msn";
    case Network::sms:
    case Network::rcs:
    case Network::xmpp:
      return {};
  }
  return {};
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

void Router::on_registration(Registration& r) {
  if (!directory_.allowed(r.user))
    return ack_with(r.ack, Error::forbidden("you are not allowed to use this bridge"));
  if (!account_connector_name(r.network).empty()) return on_account_registration(r);
  if (r.network == Network::sms || r.network == Network::rcs) return on_phone_registration(r);
  ack_with(r.ack, Error::invalid("there is nothing to register on " +
                                 std::string(network_label(r.network))));
}

Person Router::person_for_registration(const Address& user) const {
  if (const Person* existing = directory_.person_of(user)) return *existing;
  Person p;
  p.name = user.str();
  p.source = "registration";
  p.monthly_cap = cfg_.sms.default_monthly_cap;
  p.addresses.push_back(user);
  return p;
}

void Router::on_phone_registration(Registration& r) {
  if (r.remove) {
    const Person* existing = directory_.person_of(r.user);
    if (!existing)
      return ack_with(r.ack, Error::missing("you have no phone number registered here"));
    bool has_accounts = false;
    for (Network n : {Network::aim, Network::icq, Network::msn})
      has_accounts = has_accounts || directory_.account_on(*existing, n).has_value();
    if (!has_accounts) {
      const std::string person = existing->name;
      directory_.remove(person);
      store_.submit([person](store::Db& db) { return store::delete_person(db, person); },
                    [ack = r.ack](Status st) { ack_with(ack, st); });
      return;
    }
    // Their linked accounts keep them registered: only the phone goes.
    Person p = *existing;
    p.phone.clear();
    directory_.put(p);
    store_.submit([row = row_from_person(p)](
                      store::Db& db) { return store::upsert_person(db, row, now_ms()); },
                  [ack = r.ack](Status st) { ack_with(ack, st); });
    return;
  }
  auto phone = phones_.parse_for_sms(r.phone, cfg_.bridge.allow_fixed_line);
  if (!phone.ok()) return ack_with(r.ack, phone.error());
  Person p = person_for_registration(r.user);
  p.phone = phone->e164;
  directory_.put(p);
  store_.submit(
      [row = row_from_person(p)](store::Db& db) { return store::upsert_person(db, row, now_ms()); },
      [ack = r.ack](Status st) { ack_with(ack, st); });
}

void Router::on_account_registration(Registration& r) {
  const std::string label(network_label(r.network));
  const std::string connector_name = account_connector_name(r.network);
  Connector* connector = connectors_.find(connector_name);
  if (!connector)
    return ack_with(r.ack, Error::forbidden(label + " is not enabled on this bridge (ask its "
                                                    "administrator to turn it on)"));
  const Person* existing = directory_.person_of(r.user);
  const auto current = existing ? directory_.account_on(*existing, r.network) : std::nullopt;

  if (r.remove) {
    if (!current)
      return ack_with(r.ack, Error::missing("you have no " + label + " account linked here"));
    if (configured_accounts_.count(*current))
      return ack_with(r.ack,
                      Error::forbidden(current->id + " is linked in the bridge's "
                                                     "configuration; ask its administrator"));
    const Address account = *current;
    unlink_registered(account, *connector);
    store_.submit(
        [key = account.str()](store::Db& db) { return store::delete_linked_account(db, key); },
        [ack = r.ack](Status st) { ack_with(ack, st); });
    spdlog::info("router: {} unlinked {}", r.user.str(), account.str());
    return;
  }

  const std::string login = trimmed(r.login);
  if (login.empty())
    return ack_with(r.ack, Error::invalid("the " + label + " account is required (username)"));
  if (r.network == Network::aim && all_digits(login))
    return ack_with(
        r.ack, Error::invalid("'" + login + "' is an ICQ number: register it on the ICQ gateway"));
  if (r.password.empty())
    return ack_with(r.ack, Error::invalid("the " + label + " password is required"));
  auto account = make_address(r.network, login);
  if (!account.ok()) return ack_with(r.ack, account.error());

  Person p = person_for_registration(r.user);
  if (configured_accounts_.count(*account) || (current && configured_accounts_.count(*current)))
    return ack_with(r.ack, Error::forbidden((current ? current->id : account->id) +
                                            " is linked in the bridge's configuration; ask its "
                                            "administrator"));
  if (const Person* owner = directory_.person_of(*account); owner && owner->name != p.name)
    return ack_with(r.ack, Error::forbidden(account->id + " is already linked by someone else"));

  // A different account on the same network replaces the current one.
  std::optional<Address> replaced;
  if (current && *current != *account) replaced = *current;
  const bool new_person = !existing;
  store::LinkedAccountRow row{account->str(), p.name, r.password};
  store_.submit(
      [row, person = row_from_person(p), new_person, replaced](store::Db& db) -> Status {
        const auto now = now_ms();
        if (new_person)
          if (auto st = store::upsert_person(db, person, now); !st.ok()) return st;
        if (replaced)
          if (auto st = store::delete_linked_account(db, replaced->str()); !st.ok()) return st;
        return store::upsert_linked_account(db, row, now);
      },
      [this, p, account = *account, replaced, password = r.password, ack = r.ack,
       connector_name](Status st) mutable {
        boost::asio::post(strand_, [this, p = std::move(p), account, replaced,
                                    password = std::move(password), ack = std::move(ack),
                                    connector_name, st]() mutable {
          if (!st.ok()) return ack_with(ack, st);
          Connector* c = connectors_.find(connector_name);
          if (!c) return ack_with(ack, Error::transient(connector_name + " is gone"));
          if (!directory_.person(p.name)) directory_.put(p);
          if (replaced) unlink_registered(*replaced, *c);
          spdlog::info("router: {} linked {}", p.name, account.str());
          if (auto linked = link_registered(account, p.name, std::move(password), *c); !linked.ok())
            return ack_with(ack, linked);
          await_sign_on(account, std::move(ack));
        });
      });
}

Status Router::link_registered(const Address& account, const std::string& person,
                               std::string password, Connector& connector) {
  directory_.add_account(account, connector.name(), person);
  if (account.network == Network::msn) sms_to_offline_.insert(account);
  return connector.link_account(AccountLink{account, std::move(password)});
}

void Router::await_sign_on(const Address& account, AckFn ack) {
  if (auto old = pending_links_.find(account); old != pending_links_.end()) {
    ack_with(old->second.ack, Error::transient("registered again before it signed on"));
    pending_links_.erase(old);
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(
      strand_, std::chrono::milliseconds(kLinkVerifyMs));
  timer->async_wait([this, account](boost::system::error_code ec) {
    if (ec) return;  // answered, or the router is going away
    auto it = pending_links_.find(account);
    if (it == pending_links_.end()) return;
    spdlog::info("router: {} has not signed on yet; registered, it keeps trying", account.str());
    auto waiting = std::move(it->second.ack);
    pending_links_.erase(it);
    ack_with(waiting, {});
  });
  pending_links_[account] = PendingLink{std::move(ack), std::move(timer)};
}

// The first conclusive state of a newly registered account answers its registration.
void Router::settle_registration(const AccountStateEvent& a, const Address& account) {
  auto it = pending_links_.find(account);
  if (it == pending_links_.end()) return;
  if (a.state != LinkState::up && a.state != LinkState::failed) return;
  auto ack = std::move(it->second.ack);
  pending_links_.erase(it);
  if (a.state == LinkState::up) return ack_with(ack, {});
  // Refused by the network (wrong password, closed account): not kept.
  const std::string label(network_label(account.network));
  if (Connector* c = connectors_.find(a.connector))
    unlink_registered(account, *c, /*announce=*/false);
  store_.submit(
      [key = account.str()](store::Db& db) { return store::delete_linked_account(db, key); },
      [ack, reason = account.id + " could not sign on to " + label + ": " +
                     (a.reason.empty() ? "refused" : a.reason)](Status st) {
        ack_with(ack, st.ok() ? Status(Error::forbidden(reason)) : st);
      });
}

void Router::unlink_registered(const Address& account, Connector& connector, bool announce) {
  const Person* p = directory_.person_of(account);
  const Address home = p ? directory_.home_of(*p) : Address{Network::xmpp, ""};
  connector.unlink_account(account);
  directory_.remove_account(account);
  sms_to_offline_.erase(account);
  contact_presence_.erase(account);
  account_presence_.erase(account);
  if (home.id.empty() || !announce) return;
  // The gateway goes offline in the person's client, saying why.
  const Address gateway{account.network, ""};
  Presence gone;
  gone.state = PresenceState::offline;
  gone.status = account.id + ": unlinked";
  if (Connector* xmpp = connectors_.find(connector_for(gateway, home)))
    xmpp->send(OutboundPresence{gateway, home, gone});
}

// At start-up: accounts registered from clients sign on again. One the configuration
// now links as well is left to the configuration; one whose connector is off waits.
void Router::load_registered_accounts(std::vector<store::LinkedAccountRow> rows) {
  for (auto& row : rows) {
    auto account = parse_address(row.account);
    if (!account.ok()) {
      spdlog::warn("router: registered account '{}' is unreadable; ignored", row.account);
      continue;
    }
    if (configured_accounts_.count(*account)) {
      spdlog::info("router: {} is in the configuration; its registration is not used", row.account);
      continue;
    }
    if (!directory_.person(row.person)) continue;  // the person was removed
    Connector* connector = connectors_.find(account_connector_name(account->network));
    if (!connector) {
      spdlog::warn("router: {} (registered by {}) does not sign on: {} is not enabled", row.account,
                   row.person, network_label(account->network));
      continue;
    }
    if (auto st = link_registered(*account, row.person, std::move(row.password), *connector);
        !st.ok())
      spdlog::warn("router: {} does not sign on: {}", row.account, st.error().message);
  }
}

}  // namespace passerelle
