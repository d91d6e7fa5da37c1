import BerthNode
print("berthd: not yet")
