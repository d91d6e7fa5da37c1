public enum BerthCoreModule {}
