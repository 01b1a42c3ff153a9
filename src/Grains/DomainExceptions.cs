namespace PatrolHub.Grains;

/// <summary>Input that is wrong in itself; names the field. Maps to INVALID_ARGUMENT.</summary>
[GenerateSerializer]
public sealed class DomainValidationException(string field, string message) : Exception(message)
{
    [Id(0)] public string Field { get; } = field;
}

/// <summary>Valid input that the current state does not allow. Maps to FAILED_PRECONDITION.</summary>
[GenerateSerializer]
public sealed class DomainConflictException(string message) : Exception(message);

/// <summary>Something named that does not exist. Maps to NOT_FOUND.</summary>
[GenerateSerializer]
public sealed class DomainNotFoundException(string message) : Exception(message);

/// <summary>The caller's identity may not do this. Maps to PERMISSION_DENIED.</summary>
[GenerateSerializer]
public sealed class DomainPermissionException(string message) : Exception(message);

/// <summary>The hub is too busy to take this now; nothing of it was recorded. Maps to RESOURCE_EXHAUSTED with a retry-after hint.</summary>
[GenerateSerializer]
public sealed class OverloadedException(string message, TimeSpan retryAfter) : Exception(message)
{
    [Id(0)] public TimeSpan RetryAfter { get; } = retryAfter;
}
