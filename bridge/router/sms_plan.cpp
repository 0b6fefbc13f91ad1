#include "router/sms_plan.hpp"

#include <ctime>

namespace passerelle {
namespace {

std::string key(const std::string& sender, const std::string& phone) {
  return sender + '\n' + phone;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string month_of(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m", &tm);
  return buf;
}

SmsPlan::SmsPlan(const config::SmsSection& sms) : senders_(sms.sender_numbers) {
  for (const auto& s : sms.smsc) smscs_.push_back({s.name, s.prefixes, s.tariff});
}

Result<SmsRoute> SmsPlan::route(const std::string& e164) const {
  const Smsc* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& s : smscs_)
    for (const auto& p : s.prefixes)
      if (starts_with(e164, p) && (best == nullptr || p.size() > best_len))
        best = &s, best_len = p.size();
  if (!best) return Error::missing("no SMS route serves " + e164 + " (check sms.smsc prefixes)");
  return priced(*best, e164);
}

Result<SmsRoute> SmsPlan::route_via(const std::string& smsc, const std::string& e164) const {
  for (const auto& s : smscs_)
    if (s.name == smsc) return priced(s, e164);
  return Error::missing("the portability table routes " + e164 + " to SMSC \"" + smsc +
                        "\", which is not configured");
}

SmsRoute SmsPlan::priced(const Smsc& s, const std::string& e164) {
  SmsRoute r{s.name, "smpp:" + s.name, 0};
  std::size_t price_len = 0;
  bool found = false;
  for (const auto& [prefix, price] : s.tariff)
    if (starts_with(e164, prefix) && (!found || prefix.size() > price_len))
      r.price_per_segment = price, price_len = prefix.size(), found = true;
  return r;
}

std::string SmsPlan::choose_among(const std::vector<std::string>& candidates,
                                  const std::string& phone, const std::string& local,
                                  const std::string& remote) const {
  std::string oldest;
  std::int64_t oldest_ms = INT64_MAX;
  for (const auto& s : candidates) {
    auto it = threads_.find(key(s, phone));
    if (it == threads_.end() || it->second.empty()) return s;
    std::int64_t latest = 0;
    for (const auto& t : it->second) {
      if (t.local == local && t.remote == remote) return s;
      latest = std::max(latest, t.updated_ms);
    }
    if (latest < oldest_ms) oldest_ms = latest, oldest = s;
  }
  return oldest.empty() && !candidates.empty() ? candidates.front() : oldest;
}

store::ThreadRow SmsPlan::touch_thread(const std::string& sender, const std::string& phone,
                                       const std::string& local, const std::string& remote,
                                       const std::string& conversation_id, std::int64_t now) {
  auto& list = threads_[key(sender, phone)];
  // The thread touched becomes the latest of its list, strictly: two touched within the
  // same millisecond must not tie (nor keep a tie read from the store), or which one is
  // the latest after a restart would depend on the order the store reads them back.
  auto mine = [&](const store::ThreadRow& t) { return t.local == local && t.remote == remote; };
  std::int64_t latest = 0;  // of the others
  for (const auto& t : list)
    if (!mine(t)) latest = std::max(latest, t.updated_ms);
  for (auto& t : list)
    if (mine(t)) {
      t.updated_ms = std::max({now, t.updated_ms, latest + 1});
      t.conversation_id = conversation_id;
      return t;
    }
  list.push_back({sender, phone, local, remote, conversation_id, std::max(now, latest + 1)});
  return list.back();
}

void SmsPlan::load_thread(store::ThreadRow row) {
  threads_[key(row.sender_number, row.phone)].push_back(std::move(row));
}

std::optional<store::ThreadRow> SmsPlan::latest_thread(const std::string& sender,
                                                       const std::string& phone) const {
  auto it = threads_.find(key(sender, phone));
  if (it == threads_.end() || it->second.empty()) return std::nullopt;
  const store::ThreadRow* best = &it->second.front();
  for (const auto& t : it->second)
    if (t.updated_ms > best->updated_ms) best = &t;
  return *best;
}

std::optional<store::ThreadRow> SmsPlan::thread_with(
    const std::string& phone, const std::string& remote,
    const std::vector<std::string>& chatbots) const {
  std::optional<store::ThreadRow> best;
  for (const auto* list : {&senders_, &chatbots})
    for (const auto& s : *list) {
      auto it = threads_.find(key(s, phone));
      if (it == threads_.end()) continue;
      for (const auto& t : it->second)
        if (t.remote == remote && (!best || t.updated_ms > best->updated_ms)) best = t;
    }
  return best;
}

bool SmsPlan::is_sender_number(const std::string& e164) const {
  for (const auto& s : senders_)
    if (s == e164) return true;
  return false;
}

void SmsPlan::set_opted_out(const std::string& phone, bool out) {
  if (out)
    optout_.insert(phone);
  else
    optout_.erase(phone);
}

void SmsPlan::set_month(const std::string& month) {
  if (month == month_) return;
  month_ = month;
  spend_.clear();
}

std::int64_t SmsPlan::spent(const std::string& payer) const {
  auto it = spend_.find(payer);
  return it == spend_.end() ? 0 : it->second;
}

void SmsPlan::add_spend(const std::string& payer, std::int64_t amount) {
  spend_[payer] += amount;
}

}  // namespace passerelle
