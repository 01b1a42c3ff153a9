using Microsoft.Extensions.Options;

namespace PatrolHub.Hub.Tests;

public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Hub:UnitWindow", "0", "Hub:UnitWindow must be between 1 and 4096; it is 0.")]
    [InlineData("Hub:SubscriberQueueCapacity", "-1", "Hub:SubscriberQueueCapacity must be at least 1; it is -1.")]
    [InlineData("Journal:MaxBatch", "0", "Journal:MaxBatch must be at least 1; it is 0.")]
    [InlineData("Sectors:StaleAfter", "00:00:00", "Sectors:")]
    [InlineData("Review:Retention:positions", "90.00:00:00", "Review:Retention:positions names no kind of record; the kinds are position, pair, alert, warning.")]
    [InlineData("Review:Retention:position", "-1.00:00:00", "Review:Retention:position must be positive.")]
    [InlineData("Review:MaxWindow", "00:00:00", "Review:MaxWindow must be positive; it is 00:00:00.")]
    public async Task A_bad_setting_stops_start_up_with_a_sentence_naming_its_key(string key, string value, string message)
    {
        var data = Directory.CreateTempSubdirectory("patrolhub-config-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => HubFixture.StartAsync(data, builder => builder.Configuration[key] = value));
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
