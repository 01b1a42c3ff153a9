using System.Reflection;
using System.Text.Json.Serialization;
using PatrolHub.Grains.Journal;
using PatrolHub.Hub.Hosting;

namespace PatrolHub.Hub.Tests;

public sealed class ProtoMapperTests
{
    [Fact]
    public void Every_kind_of_recorded_event_has_a_mapping_and_an_unknown_one_fails_loudly()
    {
        // The kinds the journal knows are the kinds the mapper handles; a new kind must be added to both.
        var kinds = typeof(HubEvent).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => a.DerivedType.Name).Order();
        Assert.Equal(["AlertChanged", "DriftWarning", "PairChanged", "PositionRecorded", "SecurityEvent"], kinds);

        // The mapper is internal to the hub (its message types are the hub's own), so it is reached by name.
        var mapper = typeof(HubApp).Assembly.GetType("PatrolHub.Hub.Mapping.ProtoMapper", throwOnError: true)!;
        var unknown = new JournalRecord(1, DateTimeOffset.UtcNow, new UnknownEvent());
        var given = new Live.Given(unknown, unknown, false, 1, 0);
        foreach (var (method, argument) in new (string, object)[] { ("ToHubMessage", given), ("ToSectorUpdate", given), ("ToRecordedEvent", unknown) })
        {
            var error = Assert.Throws<TargetInvocationException>(() => mapper.GetMethod(method)!.Invoke(null, [argument]));
            Assert.IsType<InvalidOperationException>(error.InnerException);
        }
    }

    private sealed record UnknownEvent : HubEvent
    {
        public override JournalKeys Keys() => new("unknown", new Grains.Ids.SectorId("TCA"), null, null, null, null);
    }
}
