import BerthClient
print("berth: not yet")
