#include "services/store/stored_event.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace coachd {
namespace {

coach::v1::SessionEvent Sample() {
  coach::v1::SessionEvent ev;
  ev.set_session_id("s1");
  ev.set_epoch("e1");
  ev.set_sequence(7);
  ev.mutable_speech()->set_text("Squeeze your shoulder blades for three.");
  ev.mutable_card()->set_title("Band row");
  return ev;
}

TEST(StoredEventTest, NullByDefault) {
  StoredEvent none;
  EXPECT_TRUE(none == nullptr);
  EXPECT_FALSE(static_cast<bool>(none));
  EXPECT_EQ(none.get(), nullptr);
  StoredEvent also_none = nullptr;
  EXPECT_TRUE(also_none == nullptr);
}

TEST(StoredEventTest, HoldsTheEventItWasMadeFrom) {
  StoredEvent ev = StoredEvent::Make(Sample());
  ASSERT_TRUE(ev != nullptr);
  EXPECT_EQ(ev->sequence(), 7);
  EXPECT_EQ((*ev).card().title(), "Band row");
}

TEST(StoredEventTest, WireIsTheSerializedEvent) {
  StoredEvent ev = StoredEvent::Make(Sample());
  coach::v1::SessionEvent parsed;
  std::shared_ptr<const std::string> wire = ev.Wire();
  ASSERT_TRUE(
      parsed.ParseFromArray(wire->data(), static_cast<int>(wire->size())));
  EXPECT_EQ(parsed.SerializeAsString(), Sample().SerializeAsString());
}

TEST(StoredEventTest, MakeSerializedKeepsTheGivenBytesAndNeverSerializes) {
  std::string wire = Sample().SerializeAsString();
  const char* const given = wire.data();  // Longer than any inline buffer.
  ASSERT_GT(wire.size(), sizeof(std::string));
  StoredEvent ev = StoredEvent::MakeSerialized(Sample(), std::move(wire));
  EXPECT_EQ(ev->sequence(), 7);
  EXPECT_EQ(ev.Wire()->data(), given);  // The same bytes, not a new copy.
  EXPECT_EQ(*ev.Wire(), Sample().SerializeAsString());
  // Trusted as given: Wire() does not make its own (these bytes differ on
  // purpose, which a caller must never do, to show nothing re-serializes).
  StoredEvent marked = StoredEvent::MakeSerialized(Sample(), "given bytes");
  EXPECT_EQ(*marked.Wire(), "given bytes");
}

TEST(StoredEventTest, CopiesShareOneEventAndOneWireForm) {
  StoredEvent a = StoredEvent::Make(Sample());
  StoredEvent b = a;
  EXPECT_EQ(a.get(), b.get());
  // Serialized once while held: both copies get the same bytes.
  std::shared_ptr<const std::string> sending = a.Wire();
  EXPECT_EQ(b.Wire().get(), sending.get());
}

TEST(StoredEventTest, WireIsFreedWhenTheLastSenderLetsGo) {
  StoredEvent ev = StoredEvent::Make(Sample());
  std::shared_ptr<const std::string> sending = ev.Wire();
  std::weak_ptr<const std::string> watch = sending;
  sending.reset();
  EXPECT_TRUE(watch.expired());  // The event does not keep its bytes.
  EXPECT_EQ(*ev.Wire(), Sample().SerializeAsString());  // Made again.
}

TEST(StoredEventTest, WireFromManyThreadsAtOnceIsOneSerialization) {
  StoredEvent ev = StoredEvent::Make(Sample());
  std::vector<const char*> seen(8);
  std::vector<std::shared_ptr<const std::string>> held(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] {
      std::shared_ptr<const std::string> wire = ev.Wire();
      seen[i] = wire->data();
      held[i] = std::move(wire);  // Held until all ran: one serialization.
    });
  }
  for (std::thread& t : threads) t.join();
  for (const char* p : seen) EXPECT_EQ(p, seen[0]);
}

TEST(StoredEventTest, BytesOutliveTheEvent) {
  std::shared_ptr<const std::string> wire;
  {
    StoredEvent ev = StoredEvent::Make(Sample());
    wire = ev.Wire();
  }
  EXPECT_EQ(*wire, Sample().SerializeAsString());
}

TEST(StoredEventTest, FromWireKnowsItsSequenceAndEndAndParsesOnRead) {
  auto wire = std::make_shared<const std::string>(Sample().SerializeAsString());
  StoredEvent ev = StoredEvent::FromWire(wire, 7, /*finishes=*/false);
  EXPECT_EQ(ev.sequence(), 7);
  EXPECT_FALSE(ev.finishes());
  EXPECT_EQ(ev.Wire().get(), wire.get());  // The bytes given, not a copy.
  EXPECT_EQ(ev->card().title(), "Band row");
  EXPECT_EQ(ev->SerializeAsString(), *wire);
  StoredEvent copy = ev;
  EXPECT_EQ(copy.get(), ev.get());  // Parsed once, shared by the copies.
}

TEST(StoredEventTest, FinishesSaysWhetherTheStatusEndedTheSession) {
  coach::v1::SessionEvent last = Sample();
  last.mutable_status()->set_run_state(coach::v1::RUN_STATE_FINISHED);
  EXPECT_TRUE(StoredEvent::Make(last).finishes());
  EXPECT_FALSE(StoredEvent::Make(Sample()).finishes());
  EXPECT_EQ(StoredEvent::Make(Sample()).sequence(), 7);
}

TEST(StoredEventTest, FromWireParsedByManyThreadsAtOnceIsOneMessage) {
  StoredEvent ev = StoredEvent::FromWire(
      std::make_shared<const std::string>(Sample().SerializeAsString()), 7,
      false);
  std::vector<const coach::v1::SessionEvent*> seen(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] { seen[i] = ev.get(); });
  }
  for (std::thread& t : threads) t.join();
  for (const coach::v1::SessionEvent* p : seen) EXPECT_EQ(p, seen[0]);
  EXPECT_EQ(seen[0]->sequence(), 7);
}

TEST(StoredEventTest, MakeSerializedSharesBytesWithAFromWireCopy) {
  auto wire = std::make_shared<const std::string>(Sample().SerializeAsString());
  StoredEvent made = StoredEvent::MakeSerialized(Sample(), wire);
  StoredEvent kept = StoredEvent::FromWire(made.Wire(), 7, false);
  EXPECT_EQ(made.Wire().get(), kept.Wire().get());
  EXPECT_EQ(made->card().title(), kept->card().title());
}

}  // namespace
}  // namespace coachd
